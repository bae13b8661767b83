//! A store served by the real `popstore serve` with the web listener on a
//! free loopback port, and curl as the HTTP client.
#![allow(dead_code)] // each test file uses part of it

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use super::common::{ok, require};
use super::site::Site;

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Answer {
    /// The JSON body.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The first header of this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends a request with curl: `extra` are more curl arguments (`-H ...`,
/// `-b JAR`), `body` is sent as is when given.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &[&str],
    body: Option<&[u8]>,
) -> Answer {
    require("curl", &["--version"]);
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-i", "--max-time", "60", "-X", method])
        .args(extra)
        .arg(format!("http://{addr}{path}"));
    if body.is_some() {
        cmd.args(["--data-binary", "@-"]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(b) = body {
        stdin.write_all(b).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "curl {method} {path} failed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {text}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A JSON request with a bearer token (`""`: none).
pub fn api(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    json: Option<serde_json::Value>,
) -> Answer {
    let auth = format!("Authorization: Bearer {token}");
    let mut extra = vec!["-H", "Content-Type: application/json"];
    if !token.is_empty() {
        extra.extend(["-H", &auth]);
    }
    let body = json.map(|j| j.to_string());
    request(
        addr,
        method,
        path,
        &extra,
        body.as_deref().map(str::as_bytes),
    )
}

/// Creates an API token for `account` with the CLI.
pub fn token(site: &Site, account: &str) -> String {
    ok(&site.store, &["token", "create", account], b"")
        .trim()
        .to_string()
}

/// Starts `serve` with POP3 and the web listener; the web address.
pub fn serve_web(site: &mut Site, extra: &str) -> SocketAddr {
    site.serve(&["web"], &["web"], extra);
    site.addr("web")
}

/// Delivers a message to `to` with `popstore deliver`.
pub fn deliver(site: &Site, to: &str, message: &str) {
    ok(&site.store, &["deliver", "--to", to], message.as_bytes());
}

/// A browser-like client: curl with a cookie jar.
pub struct Browser {
    pub addr: SocketAddr,
    jar: String,
}

impl Browser {
    /// A browser with an empty jar in `site`'s directory.
    pub fn new(site: &Site, addr: SocketAddr, name: &str) -> Browser {
        Browser {
            addr,
            jar: site.path(&format!("{name}.jar")).display().to_string(),
        }
    }

    /// GET `path`.
    pub fn get(&self, path: &str) -> Answer {
        request(
            self.addr,
            "GET",
            path,
            &["-b", &self.jar, "-c", &self.jar],
            None,
        )
    }

    /// POST a form (`fields` URL-encoded by curl).
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut extra = vec![
            "-b".to_string(),
            self.jar.clone(),
            "-c".to_string(),
            self.jar.clone(),
        ];
        for (k, v) in fields {
            extra.push("--data-urlencode".into());
            extra.push(format!("{k}={v}"));
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        request(self.addr, "POST", path, &extra, None)
    }

    /// Logs in with the form; the answer (303 to `/` on success).
    pub fn login(&self, name: &str, password: &str) -> Answer {
        self.post("/login", &[("name", name), ("password", password)])
    }

    /// The CSRF token of a page's forms.
    pub fn csrf(&self, path: &str) -> String {
        let page = self.get(path).body;
        let at = page
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in {path}: {page}"));
        page[at + 19..at + 19 + 64].to_string()
    }
}
