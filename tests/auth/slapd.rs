//! A private slapd for the LDAP tests: its own configuration and database
//! in a temporary directory, seeded with slapadd, listening on loopback
//! ports for ldap:// (STARTTLS offered) and ldaps:// with a certificate
//! made for 127.0.0.1. Stopped when dropped.
//!
//! The directory: `dc=test`, a service account `cn=search,dc=test`
//! (password `search-pw`), and people under `ou=people,dc=test`: `ann`
//! (`ann-ldap`), `bob` (`bob-ldap`), `ann2` (`ann2-ldap`). A user may
//! change their own password (RFC 3062); only binds see passwords.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Slapd {
    child: Option<Child>,
    pub dir: PathBuf,
    /// The ldap:// port.
    pub port: u16,
    /// The ldaps:// port.
    pub tls_port: u16,
    /// The CA file a client trusts (the self-signed certificate).
    pub ca: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const SEED: &str = "\
dn: dc=test
objectClass: dcObject
objectClass: organization
o: test
dc: test

dn: cn=search,dc=test
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: search
userPassword: search-pw

dn: ou=people,dc=test
objectClass: organizationalUnit
ou: people
";

fn person(uid: &str, n: u32) -> String {
    format!(
        "\ndn: uid={uid},ou=people,dc=test\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n\
         uid: {uid}\ncn: {uid}\nsn: {uid}\nuidNumber: {n}\ngidNumber: 100\n\
         homeDirectory: /home/{uid}\nuserPassword: {uid}-ldap\n"
    )
}

impl Slapd {
    /// Configures, seeds and starts slapd in `dir`.
    pub fn start(dir: &Path) -> Slapd {
        assert!(
            Path::new("/usr/sbin/slapd").exists(),
            "slapd is needed by this test: run ci/install-deps.sh"
        );
        let dir = dir.join("slapd");
        std::fs::create_dir_all(dir.join("db")).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        popstore::tls::generate_self_signed(&cert, &key, &["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let conf = dir.join("slapd.conf");
        std::fs::write(
            &conf,
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/nis.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 pidfile {d}/slapd.pid\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
                 TLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n\
                 database mdb\nsuffix \"dc=test\"\nrootdn \"cn=admin,dc=test\"\nrootpw admin-pw\n\
                 directory {d}/db\nmaxsize 10485760\n\
                 access to attrs=userPassword by self write by anonymous auth by * none\n\
                 access to * by * read\n",
                d = dir.display(),
                cert = cert.display(),
                key = key.display()
            ),
        )
        .unwrap();
        let mut seed = SEED.to_string();
        for (i, uid) in ["ann", "bob", "ann2"].iter().enumerate() {
            seed.push_str(&person(uid, 3000 + i as u32));
        }
        let ldif = dir.join("seed.ldif");
        std::fs::write(&ldif, seed).unwrap();
        let out = Command::new("slapadd")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif)
            .output()
            .expect("slapadd (Debian slapd) is needed: run ci/install-deps.sh");
        assert!(
            out.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut s = Slapd {
            child: None,
            dir,
            port: free_port(),
            tls_port: free_port(),
            ca: cert,
        };
        s.run();
        s
    }

    /// Starts (or restarts) the daemon and waits for both ports.
    pub fn run(&mut self) {
        let urls = format!(
            "ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/",
            self.port, self.tls_port
        );
        // -d keeps slapd in the foreground (a child we can stop); its
        // debug output goes nowhere.
        let child = Command::new("/usr/sbin/slapd")
            .arg("-d")
            .arg("0")
            .arg("-f")
            .arg(self.dir.join("slapd.conf"))
            .args(["-h", &urls])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("slapd is needed: run ci/install-deps.sh");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [self.port, self.tls_port] {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
                if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                    let mut err = String::new();
                    use std::io::Read;
                    let _ = self
                        .child
                        .as_mut()
                        .unwrap()
                        .stderr
                        .take()
                        .unwrap()
                        .read_to_string(&mut err);
                    panic!("slapd exited ({status}): {err}");
                }
                assert!(Instant::now() < deadline, "slapd does not listen on {port}");
                std::thread::sleep(Duration::from_millis(20)); // polling for the port
            }
        }
    }

    /// Stops the daemon (SIGKILL) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `ldapsearch` as the directory's root: the userPassword of `uid`.
    pub fn stored_password(&self, uid: &str) -> String {
        let out = Command::new("ldapsearch")
            .args(["-x", "-LLL", "-H"])
            .arg(format!("ldap://127.0.0.1:{}", self.port))
            .args(["-D", "cn=admin,dc=test", "-w", "admin-pw", "-b"])
            .arg(format!("uid={uid},ou=people,dc=test"))
            .arg("userPassword")
            .output()
            .expect("ldapsearch (Debian ldap-utils) is needed: run ci/install-deps.sh");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
