//! PAM (Linux-PAM) authentication, with `libpam.so.0` loaded at run time:
//! the binary does not link against libpam, so it builds without its
//! headers, runs where PAM is absent (a static musl build, a container),
//! and only the process that checks a password loads it. popstore calls
//! this in a helper process of its own (`popstore pam-check`), so a module
//! that blocks or crashes takes only that process with it.
//!
//! The conversation answers prompts with echo off with the password and
//! prompts with echo on with the user name, and ignores messages. The
//! failure delay modules ask for (`pam_fail_delay`) is skipped: the
//! caller has its own throttle.

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::path::Path;

/// What PAM said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PamAnswer {
    /// `pam_authenticate` and `pam_acct_mgmt` succeeded.
    Accepted,
    /// Wrong password, unknown user, account expired or locked.
    Refused(String),
    /// PAM could not answer (no libpam, a missing module, a service error).
    Unavailable(String),
}

const PAM_SUCCESS: c_int = 0;
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_PROMPT_ECHO_ON: c_int = 2;
const PAM_RHOST: c_int = 4;
const PAM_FAIL_DELAY: c_int = 10;
const PAM_SILENT: c_int = 0x8000;
const PAM_DISALLOW_NULL_AUTHTOK: c_int = 0x1;

/// Return codes that say no (rather than "cannot say"): PERM_DENIED,
/// AUTH_ERR, CRED_INSUFFICIENT, USER_UNKNOWN, MAXTRIES,
/// NEW_AUTHTOK_REQD, ACCT_EXPIRED.
const REFUSALS: [c_int; 7] = [6, 7, 8, 10, 11, 12, 13];

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type ConvFn =
    extern "C" fn(c_int, *mut *const PamMessage, *mut *mut PamResponse, *mut c_void) -> c_int;

#[repr(C)]
struct PamConv {
    conv: ConvFn,
    appdata_ptr: *mut c_void,
}

type Handle = c_void;
type StartConfdirFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const PamConv,
    *const c_char,
    *mut *mut Handle,
) -> c_int;
type StartFn =
    unsafe extern "C" fn(*const c_char, *const c_char, *const PamConv, *mut *mut Handle) -> c_int;
type FlagsFn = unsafe extern "C" fn(*mut Handle, c_int) -> c_int;
type SetItemFn = unsafe extern "C" fn(*mut Handle, c_int, *const c_void) -> c_int;
type StrErrorFn = unsafe extern "C" fn(*mut Handle, c_int) -> *const c_char;
type DelayFn = extern "C" fn(c_int, c_uint, *mut c_void);

/// The user name and password the conversation hands out.
struct Credentials {
    user: CString,
    password: CString,
}

extern "C" fn conversation(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    const PAM_CONV_ERR: c_int = 19;
    let Ok(n) = usize::try_from(num_msg) else {
        return PAM_CONV_ERR;
    };
    if n == 0 || msg.is_null() || resp.is_null() || appdata.is_null() {
        return PAM_CONV_ERR;
    }
    // SAFETY: appdata is the pointer to the Credentials that
    // `authenticate` passed in the pam_conv, alive for the whole PAM
    // transaction.
    let creds = unsafe { &*(appdata as *const Credentials) };
    // SAFETY: calloc of n zeroed responses; PAM frees them (and the
    // strings) with free(3), as the interface requires.
    let replies =
        unsafe { libc::calloc(n, std::mem::size_of::<PamResponse>()) } as *mut PamResponse;
    if replies.is_null() {
        return PAM_CONV_ERR;
    }
    for i in 0..n {
        // SAFETY: Linux-PAM passes an array of n pointers to messages.
        let m = unsafe { &**msg.add(i) };
        let answer = match m.msg_style {
            PAM_PROMPT_ECHO_OFF => Some(&creds.password),
            PAM_PROMPT_ECHO_ON => Some(&creds.user),
            _ => None,
        };
        if let Some(a) = answer {
            // SAFETY: strdup copies a NUL-terminated string into malloc'd
            // memory; replies has n elements.
            unsafe { (*replies.add(i)).resp = libc::strdup(a.as_ptr()) };
        }
    }
    // SAFETY: resp is PAM's out pointer for the array.
    unsafe { *resp = replies };
    PAM_SUCCESS
}

extern "C" fn no_delay(_: c_int, _: c_uint, _: *mut c_void) {}

/// libpam, loaded.
struct Lib(*mut c_void);

impl Lib {
    fn open() -> Result<Lib, String> {
        // SAFETY: dlopen with a constant NUL-terminated name.
        let h = unsafe { libc::dlopen(c"libpam.so.0".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if h.is_null() {
            return Err("cannot load libpam.so.0 (is PAM installed?)".into());
        }
        Ok(Lib(h))
    }

    /// The address of `name`, or None.
    fn symbol(&self, name: &CStr) -> Option<*mut c_void> {
        // SAFETY: a handle from dlopen and a NUL-terminated name.
        let p = unsafe { libc::dlsym(self.0, name.as_ptr()) };
        (!p.is_null()).then_some(p)
    }
}

/// Checks `password` for `user` with the PAM `service` (its file in
/// `confdir` when given, else in /etc/pam.d), telling the modules the
/// client's host `rhost` when known.
pub fn authenticate(
    service: &str,
    confdir: Option<&Path>,
    user: &str,
    password: &str,
    rhost: Option<&str>,
) -> PamAnswer {
    let cstr = |s: &str| CString::new(s).map_err(|_| PamAnswer::Refused("NUL in a field".into()));
    let (service, user_c, password_c) = match (cstr(service), cstr(user), cstr(password)) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        _ => return PamAnswer::Refused("NUL in the user name or password".into()),
    };
    let lib = match Lib::open() {
        Ok(l) => l,
        Err(e) => return PamAnswer::Unavailable(e),
    };
    let names: [&CStr; 6] = [
        c"pam_start",
        c"pam_start_confdir",
        c"pam_authenticate",
        c"pam_acct_mgmt",
        c"pam_end",
        c"pam_set_item",
    ];
    let syms: Vec<Option<*mut c_void>> = names.iter().map(|n| lib.symbol(n)).collect();
    let (Some(start), Some(auth), Some(acct), Some(end), Some(set_item)) =
        (syms[0], syms[2], syms[3], syms[4], syms[5])
    else {
        return PamAnswer::Unavailable("libpam lacks pam_start/pam_authenticate".into());
    };
    let strerror = lib.symbol(c"pam_strerror");
    // SAFETY: the symbols are libpam's functions of these signatures
    // (Linux-PAM's <security/pam_appl.h>).
    let (start, auth, acct, end, set_item): (StartFn, FlagsFn, FlagsFn, FlagsFn, SetItemFn) = unsafe {
        (
            std::mem::transmute::<*mut c_void, StartFn>(start),
            std::mem::transmute::<*mut c_void, FlagsFn>(auth),
            std::mem::transmute::<*mut c_void, FlagsFn>(acct),
            std::mem::transmute::<*mut c_void, FlagsFn>(end),
            std::mem::transmute::<*mut c_void, SetItemFn>(set_item),
        )
    };
    let creds = Box::new(Credentials {
        user: user_c.clone(),
        password: password_c,
    });
    let conv = PamConv {
        conv: conversation,
        appdata_ptr: &*creds as *const Credentials as *mut c_void,
    };
    let mut handle: *mut Handle = std::ptr::null_mut();
    let rc = match (confdir, syms[1]) {
        (Some(dir), Some(start_confdir)) => {
            let Ok(dir) = CString::new(dir.as_os_str().as_encoded_bytes()) else {
                return PamAnswer::Unavailable("bad PAM configuration directory".into());
            };
            // SAFETY: pam_start_confdir (Linux-PAM 1.4+) of this signature.
            let f = unsafe { std::mem::transmute::<*mut c_void, StartConfdirFn>(start_confdir) };
            // SAFETY: valid C strings, a conversation that outlives the
            // handle, an out pointer.
            unsafe {
                f(
                    service.as_ptr(),
                    user_c.as_ptr(),
                    &conv,
                    dir.as_ptr(),
                    &mut handle,
                )
            }
        }
        (Some(_), None) => {
            return PamAnswer::Unavailable(
                "this libpam cannot use another configuration directory".into(),
            );
        }
        // SAFETY: as above.
        (None, _) => unsafe { start(service.as_ptr(), user_c.as_ptr(), &conv, &mut handle) },
    };
    if rc != PAM_SUCCESS || handle.is_null() {
        return PamAnswer::Unavailable(format!("pam_start failed ({rc})"));
    }
    let describe = |rc: c_int| -> String {
        match strerror {
            Some(p) => {
                // SAFETY: pam_strerror of this signature returns a static
                // string for the live handle.
                let f = unsafe { std::mem::transmute::<*mut c_void, StrErrorFn>(p) };
                // SAFETY: as above; checked for NULL before reading.
                let s = unsafe { f(handle, rc) };
                if s.is_null() {
                    format!("PAM error {rc}")
                } else {
                    // SAFETY: a NUL-terminated string from libpam.
                    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
                }
            }
            None => format!("PAM error {rc}"),
        }
    };
    // SAFETY: a live handle; the item is a function pointer of the
    // signature PAM_FAIL_DELAY takes, and PAM_RHOST a C string PAM copies.
    unsafe {
        set_item(handle, PAM_FAIL_DELAY, no_delay as DelayFn as *const c_void);
        if let Some(h) = rhost.and_then(|h| CString::new(h).ok()) {
            set_item(handle, PAM_RHOST, h.as_ptr() as *const c_void);
        }
    }
    let flags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;
    // SAFETY: a live handle.
    let mut rc = unsafe { auth(handle, flags) };
    if rc == PAM_SUCCESS {
        // SAFETY: a live handle.
        rc = unsafe { acct(handle, PAM_SILENT) };
    }
    let answer = if rc == PAM_SUCCESS {
        PamAnswer::Accepted
    } else if REFUSALS.contains(&rc) {
        PamAnswer::Refused(describe(rc))
    } else {
        PamAnswer::Unavailable(describe(rc))
    };
    // SAFETY: ends the transaction; the handle is not used again.
    unsafe { end(handle, rc) };
    drop(creds);
    answer
}
