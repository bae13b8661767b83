//! Running a password-checking program with a deadline: the
//! checkpassword interface of cr.yp.to/checkpwd (the external source) and
//! popstore's own PAM helper both answer with an exit status.
//!
//! Each check is a new process: a program that hangs is killed at the
//! deadline, one that crashes takes only its own check with it.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::auth::LookupError;

/// How the program gets the login and password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// On descriptor 3 (the checkpassword interface).
    Fd3,
    /// On standard input.
    Stdin,
}

/// A program's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Exit 0.
    Accepted,
    /// Exit 1.
    Refused,
}

/// Runs `argv` with `data` on its input; kills it after `timeout`.
/// Exit 0 is [`Answer::Accepted`], 1 [`Answer::Refused`]; 111 (the
/// interface's "temporary problem"), any other status, a signal and the
/// deadline are temporary failures.
pub fn run(
    what: &str,
    argv: &[OsString],
    data: &[u8],
    input: Input,
    timeout: Duration,
) -> Result<Answer, LookupError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(LookupError::Temporary(format!(
            "{what}: no program configured"
        )));
    };
    let mut cmd = match input {
        Input::Stdin => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
        // The shell moves the pipe on standard input to descriptor 3 and
        // gives the program /dev/null as its input (std's Command cannot
        // hand over other descriptors without unsafe code).
        Input::Fd3 => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c")
                .arg("exec \"$0\" \"$@\" 3<&0 </dev/null")
                .arg(program)
                .args(args);
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            LookupError::Temporary(format!("{what}: cannot run {}: {e}", program.display()))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits without reading closes the pipe: not an
        // error of ours, its exit status says what happened.
        let _ = stdin.write_all(data);
    }
    let status = match wait_until(&mut child, Instant::now() + timeout) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LookupError::Temporary(format!(
                "{what}: no answer within {} s (killed)",
                timeout.as_secs_f32()
            )));
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LookupError::Temporary(format!("{what}: {e}")));
        }
    };
    match status.code() {
        Some(0) => Ok(Answer::Accepted),
        Some(1) => Ok(Answer::Refused),
        Some(111) => Err(LookupError::Temporary(format!(
            "{what}: temporary failure (exit 111)"
        ))),
        Some(c) => Err(LookupError::Temporary(format!("{what}: exit status {c}"))),
        None => Err(LookupError::Temporary(format!(
            "{what}: killed by a signal"
        ))),
    }
}

/// Waits for the child until `deadline`: `None` when it is still running
/// then. Polls with a growing interval (from 100 us to 10 ms), which
/// needs no signal handler that could disturb other users of SIGCHLD.
fn wait_until(
    child: &mut std::process::Child,
    deadline: Instant,
) -> std::io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_micros(100);
    loop {
        if let Some(s) = child.try_wait()? {
            return Ok(Some(s));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// The checkpassword input: `login NUL password NUL timestamp NUL`.
pub fn checkpassword_input(login: &str, password: &str) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut data = Vec::with_capacity(login.len() + password.len() + 24);
    for field in [
        login.as_bytes(),
        password.as_bytes(),
        now.to_string().as_bytes(),
    ] {
        data.extend_from_slice(field);
        data.push(0);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<OsString> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn exit_statuses_and_the_deadline() {
        let t = Duration::from_secs(10);
        let data = checkpassword_input("ann", "pw");
        assert_eq!(
            data,
            b"ann\0pw\0"
                .iter()
                .chain(&data[7..])
                .copied()
                .collect::<Vec<_>>()
        );
        assert_eq!(
            run("t", &sh("exit 0"), &data, Input::Stdin, t),
            Ok(Answer::Accepted)
        );
        assert_eq!(
            run("t", &sh("exit 1"), &data, Input::Stdin, t),
            Ok(Answer::Refused)
        );
        assert!(run("t", &sh("exit 111"), &data, Input::Stdin, t).is_err());
        assert!(run("t", &sh("kill -9 $$"), &data, Input::Stdin, t).is_err());
        assert!(run("t", &["/nonexistent/x".into()], &data, Input::Stdin, t).is_err());
        // The input arrives on descriptor 3 with Fd3.
        let check = sh("test \"$(head -c 7 <&3 | tr '\\0' :)\" = ann:pw:");
        assert_eq!(run("t", &check, &data, Input::Fd3, t), Ok(Answer::Accepted));
        let hang = sh("exec sleep 30");
        let e = run("t", &hang, &data, Input::Stdin, Duration::from_millis(200)).unwrap_err();
        assert!(e.to_string().contains("no answer"), "{e}");
    }
}
