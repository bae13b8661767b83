//! The web pages through the real binary with a cookie-keeping client
//! (curl): the session cookie's flags, the security headers, CSRF refusal,
//! escaping of what comes from messages and accounts, the login throttle's
//! log without passwords, LOCKPWD, and a manager limited to its group.

mod common;
#[path = "web/http.rs"]
mod http;
#[path = "auth/site.rs"]
mod site;

use common::ok;
use http::{Browser, deliver, serve_web};
use site::Site;

fn site() -> (Site, std::net::SocketAddr) {
    let mut site = Site::new();
    ok(&site.store, &["group", "add", "sales"], b"");
    ok(&site.store, &["group", "add", "support"], b"");
    site.user("boss", Some("bosspass1"), "MANAGE");
    site.user("joe", Some("joepass12"), "");
    site.user("locked", Some("lockedpw1"), "LOCKPWD");
    site.user("bob", Some("bobpass12"), "");
    ok(
        &site.store,
        &["user", "modify", "boss", "--group", "sales"],
        b"",
    );
    ok(
        &site.store,
        &["user", "modify", "bob", "--group", "support"],
        b"",
    );
    ok(
        &site.store,
        &[
            "user",
            "modify",
            "joe",
            "--group",
            "sales",
            "--owner",
            "<script>alert('owner')</script>",
        ],
        b"",
    );
    let web = serve_web(&mut site, "");
    (site, web)
}

#[test]
fn session_cookie_and_headers() {
    let (site, web) = site();
    let b = Browser::new(&site, web, "joe");
    let r = b.get("/messages");
    assert_eq!(r.status, 303, "no session: to the login page");
    assert_eq!(r.header("location"), Some("/login"));
    let r = b.login("joe", "joepass12");
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let id = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert_eq!(id.len(), 64);
    let r = b.get("/messages");
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'none'"), "{csp}");
    assert!(!r.body.contains("<script"), "no script on any page");
    // Logging out ends the session on the server.
    let csrf = b.csrf("/messages");
    assert_eq!(b.post("/logout", &[("csrf", &csrf)]).status, 303);
    let stolen = http::request(
        web,
        "GET",
        "/messages",
        &["-H", &format!("Cookie: popstore_session={id}")],
        None,
    );
    assert_eq!(stolen.status, 303, "the old id no longer works");
}

#[test]
fn forms_without_their_csrf_token_are_refused() {
    let (site, web) = site();
    let b = Browser::new(&site, web, "boss");
    assert_eq!(b.login("boss", "bosspass1").status, 303);
    let r = b.post("/accounts/joe", &[("owner", "Changed"), ("group", "sales")]);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = b.post(
        "/accounts/joe",
        &[
            ("csrf", &"0".repeat(64)),
            ("owner", "Changed"),
            ("group", "sales"),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(
        b.get("/accounts/joe").body.contains("&#60;script&#62;"),
        "unchanged"
    );
    let csrf = b.csrf("/accounts/joe");
    let r = b.post(
        "/accounts/joe",
        &[
            ("csrf", &csrf),
            ("owner", "Joe Bloggs"),
            ("group", "sales"),
            ("quota", "5m"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Saved."));
    assert!(b.get("/accounts/joe").body.contains("value=\"Joe Bloggs\""));
    // The API with a browser's cookie needs the token in a header.
    let jar = site.path("boss.jar").display().to_string();
    let r = http::request(web, "DELETE", "/api/v1/accounts/joe", &["-b", &jar], None);
    assert_eq!(r.status, 403);
    let header = format!("X-CSRF-Token: {csrf}");
    let r = http::request(
        web,
        "PATCH",
        "/api/v1/accounts/joe",
        &[
            "-b",
            &jar,
            "-H",
            &header,
            "-H",
            "Content-Type: application/json",
        ],
        Some(b"{\"owner\": \"Via API\"}"),
    );
    assert_eq!(r.status, 200, "with the session's token: {}", r.body);
}

#[test]
fn values_from_messages_and_accounts_show_as_text() {
    let (site, web) = site();
    deliver(
        &site,
        "joe",
        "From: <script>alert('from')</script> <x@y.z>\r\nSubject: <script>alert('subject')</script>\r\n\
        Content-Type: text/html\r\n\r\n<p>Hi<script>alert('body')</script><img src=\"http://tracker.example/p.gif\"></p>\r\n",
    );
    let boss = Browser::new(&site, web, "boss");
    assert_eq!(boss.login("boss", "bosspass1").status, 303);
    let list = boss.get("/accounts?q=jo").body;
    assert!(
        list.contains("&#60;script&#62;alert(&#39;owner&#39;)&#60;/script&#62;"),
        "{list}"
    );
    assert!(!list.contains("<script>"));
    let joe = Browser::new(&site, web, "joe");
    assert_eq!(joe.login("joe", "joepass12").status, 303);
    let list = joe.get("/messages").body;
    assert!(
        list.contains("&#60;script&#62;alert(&#39;subject&#39;)"),
        "{list}"
    );
    assert!(!list.contains("<script>"));
    let link = list.split("href=\"/messages/").nth(1).unwrap();
    let id = &link[..link.find('"').unwrap()];
    let view = joe.get(&format!("/messages/{id}")).body;
    assert!(view.contains("<p>Hi</p>"), "sanitised HTML: {view}");
    assert!(
        !view.contains("<script>") && !view.contains("tracker.example"),
        "{view}"
    );
    let raw = joe.get(&format!("/messages/{id}/raw"));
    assert!(
        raw.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    // Reading marked it seen; delete, then POP3 lists nothing.
    assert!(!joe.get("/messages").body.contains("class=\"unread\""));
    let csrf = joe.csrf("/messages");
    assert_eq!(
        joe.post(&format!("/messages/{id}/delete"), &[("csrf", &csrf)])
            .status,
        303
    );
    assert!(joe.get("/messages").body.contains("0 messages"));
}

#[test]
fn managers_reach_their_group_only_and_users_no_management() {
    let (site, web) = site();
    let boss = Browser::new(&site, web, "boss");
    assert_eq!(boss.login("boss", "bosspass1").status, 303);
    let list = boss.get("/accounts").body;
    assert!(list.contains(">joe<") && !list.contains(">bob<"), "{list}");
    assert_eq!(boss.get("/accounts/bob").status, 403);
    let csrf = boss.csrf("/accounts/joe");
    let r = boss.post(
        "/accounts/bob",
        &[("csrf", &csrf), ("owner", "x"), ("group", "sales")],
    );
    assert_eq!(r.status, 403);
    let r = boss.post(
        "/accounts/joe",
        &[("csrf", &csrf), ("owner", "x"), ("group", "support")],
    );
    assert!(r.body.contains("outside your group"), "{}", r.body);
    let joe = Browser::new(&site, web, "joe");
    assert_eq!(joe.login("joe", "joepass12").status, 303);
    assert_eq!(joe.get("/accounts").status, 403);
    assert_eq!(joe.get("/").status, 303, "a user's home is the messages");
}

/// The figure inside `<span id="accounts">`.
fn dashboard_accounts(body: &str) -> u64 {
    let at = body.find("id=\"accounts\">").expect("the dashboard") + 14;
    body[at..].split('<').next().unwrap().parse().unwrap()
}

#[test]
fn the_dashboard_shows_its_last_count_and_counts_again_when_asked() {
    let (site, web) = site();
    let boss = Browser::new(&site, web, "boss");
    assert_eq!(boss.login("boss", "bosspass1").status, 303);
    let first = boss.get("/").body;
    assert_eq!(dashboard_accounts(&first), 2, "sales: boss and joe");
    assert!(
        first.contains("Counted <span id=\"counted-age\">"),
        "{first}"
    );
    site.user("sue", Some("suepass12"), "");
    ok(
        &site.store,
        &["user", "modify", "sue", "--group", "sales"],
        b"",
    );
    // The last count is shown at once, as it was.
    assert_eq!(dashboard_accounts(&boss.get("/").body), 2);
    let wrong = "0".repeat(64);
    assert_eq!(boss.post("/recount", &[("csrf", &wrong)]).status, 403);
    let csrf = boss.csrf("/");
    let r = boss.post("/recount", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(dashboard_accounts(&boss.get("/").body), 3);
}

#[test]
fn passwords_lockpwd_policy_and_failed_logins() {
    let (site, web) = site();
    let b = Browser::new(&site, web, "x");
    let r = b.login("joe", "wrong-password-123");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong account name or password"));
    assert!(site.log().contains("web login failed"), "{}", site.log());
    assert!(
        !site.log().contains("wrong-password-123"),
        "a password in the log"
    );

    let locked = Browser::new(&site, web, "locked");
    assert_eq!(locked.login("locked", "lockedpw1").status, 303);
    let page = locked.get("/password").body;
    assert!(page.contains("LOCKPWD"), "{page}");
    let csrf = locked.csrf("/vacation");
    let r = locked.post(
        "/password",
        &[
            ("csrf", &csrf),
            ("old", "lockedpw1"),
            ("new", "newlocked1"),
            ("again", "newlocked1"),
        ],
    );
    assert!(r.body.contains("locked (LOCKPWD)"), "{}", r.body);
    assert!(site::curl_login(site.pop3(), "locked", "lockedpw1"));

    let joe = Browser::new(&site, web, "joe");
    assert_eq!(joe.login("joe", "joepass12").status, 303);
    let csrf = joe.csrf("/password");
    let r = joe.post(
        "/password",
        &[
            ("csrf", &csrf),
            ("old", "joepass12"),
            ("new", "short"),
            ("again", "short"),
        ],
    );
    assert!(r.body.contains("at least 8"), "{}", r.body);
    let r = joe.post(
        "/password",
        &[
            ("csrf", &csrf),
            ("old", "joepass12"),
            ("new", "joe-new-pass"),
            ("again", "joe-new-pass"),
        ],
    );
    assert!(r.body.contains("Your password is changed."), "{}", r.body);
    assert!(site::curl_login(site.pop3(), "joe", "joe-new-pass"));
    assert!(!site::curl_login(site.pop3(), "joe", "joepass12"));
    assert!(!site.log().contains("joe-new-pass"));
}

#[test]
fn https_with_the_store_certificate_and_no_plaintext_off_loopback() {
    let mut site = Site::new();
    site.user("joe", Some("joepass12"), "");
    site.serve(&["web"], &["web"], "[web]\ntls = true\n");
    let web = site.addr("web");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-k",
            "-i",
            "-X",
            "POST",
            "--data",
            "name=joe&password=joepass12",
        ])
        .arg(format!("https://127.0.0.1:{}/login", web.port()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 303"), "{text}");
    assert!(
        text.contains("; Secure"),
        "the cookie is Secure under HTTPS: {text}"
    );
    let plain = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://127.0.0.1:{}/login", web.port()))
        .output()
        .unwrap();
    assert_ne!(
        String::from_utf8_lossy(&plain.stdout),
        "200",
        "no plain HTTP on the TLS port"
    );
    site.stop();

    // Plain HTTP on an address other than loopback is refused at start.
    let config = site.path("open.toml");
    std::fs::write(
        &config,
        "[listen]\nlmtp = \"off\"\npop3 = \"off\"\npop3s = \"off\"\nimap = \"off\"\nimaps = \"off\"\n\
         poppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"0.0.0.0:0\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("--store")
        .arg(&site.store)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env_remove("POPSTORE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls = true"), "{err}");
}

#[test]
fn attachments_download_as_attachments() {
    let (site, web) = site();
    deliver(
        &site,
        "joe",
        "Subject: files\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n--xx\r\n\
         Content-Type: text/plain\r\n\r\nSee attached.\r\n--xx\r\n\
         Content-Type: text/html; name=\"page.html\"\r\nContent-Disposition: attachment; filename=\"page.html\"\r\n\r\n\
         <script>alert('attached')</script>\r\n--xx\r\n\
         Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--xx--\r\n",
    );
    let joe = Browser::new(&site, web, "joe");
    assert_eq!(joe.login("joe", "joepass12").status, 303);
    let list = joe.get("/messages").body;
    let link = list.split("href=\"/messages/").nth(1).unwrap();
    let id = &link[..link.find('"').unwrap()];
    let view = joe.get(&format!("/messages/{id}")).body;
    assert!(view.contains("See attached."), "{view}");
    assert!(
        !view.contains("alert('attached')"),
        "an attachment is not shown: {view}"
    );
    assert!(
        view.contains(&format!("/messages/{id}/parts/1\">page.html</a>")),
        "{view}"
    );
    let html = joe.get(&format!("/messages/{id}/parts/1"));
    assert_eq!(html.status, 200);
    assert_eq!(
        html.header("content-disposition"),
        Some("attachment; filename=\"page.html\"")
    );
    assert_eq!(
        html.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(html.body.contains("alert('attached')"));
    let pdf = joe.get(&format!("/messages/{id}/parts/2"));
    assert_eq!(
        pdf.header("content-disposition"),
        Some("attachment; filename=\"part-2\"")
    );
    assert_eq!(pdf.body, "%PDF-");
    assert_eq!(joe.get(&format!("/messages/{id}/parts/9")).status, 404);
}

#[test]
fn a_filter_files_into_a_folder_of_a_messagestore_account() {
    let (site, web) = site();
    ok(
        &site.store,
        &[
            "user",
            "add",
            "ima",
            "--store-type",
            "imap",
            "--password-stdin",
        ],
        b"imapass12\n",
    );
    ok(&site.store, &["folder", "create", "ima", "Lists"], b"");
    let b = Browser::new(&site, web, "ima");
    assert_eq!(b.login("ima", "imapass12").status, 303);
    let csrf = b.csrf("/filters");
    let r = b.post(
        "/filters",
        &[
            ("csrf", &csrf),
            ("header", "subject"),
            ("test", "contains"),
            ("value", "[list]"),
            ("action", "fileinto"),
            ("argument", "Lists"),
        ],
    );
    assert!(r.body.contains("The filters are saved."), "{}", r.body);
    deliver(&site, "ima", "Subject: [list] weekly\r\n\r\nnews\r\n");
    deliver(&site, "ima", "Subject: personal\r\n\r\nhi\r\n");
    let folders = ok(&site.store, &["folder", "list", "ima", "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&folders).unwrap();
    let count = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["status"]["messages"]
            .clone()
    };
    assert_eq!(count("Lists"), 1, "{folders}");
    assert_eq!(count("INBOX"), 1, "{folders}");
    let page = b.get("/messages?folder=Lists").body;
    assert!(
        page.contains("[list] weekly") && !page.contains("personal"),
        "{page}"
    );
    assert!(page.contains("class=\"unread\""));
    assert!(
        b.get("/messages")
            .body
            .contains("?folder=Lists\">Lists</a> (1)"),
        "the folders are listed"
    );
    let link = page.split("href=\"/messages/").nth(1).unwrap();
    let target = &link[..link.find('"').unwrap()];
    let view = b.get(&format!("/messages/{target}")).body;
    assert!(view.contains("news"), "{view}");
    assert!(
        !b.get("/messages?folder=Lists")
            .body
            .contains("class=\"unread\""),
        "seen"
    );
    let csrf = b.csrf("/messages?folder=Lists");
    let delete = format!("/messages/{}", target.replace("?folder", "/delete?folder"));
    let r = b.post(&delete, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(b.get("/messages?folder=Lists").body.contains("0 messages"));
}

#[test]
fn a_site_replaces_templates_and_the_stylesheet() {
    let mut site = Site::new();
    site.user("joe", Some("joepass12"), "");
    let dir = site.path("site-templates");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("login.html"),
        "<!DOCTYPE html><title>Example Corp</title><h1>Example Corp mail</h1>\
         {% if c.error %}<p id=\"error\">{{ c.error }}</p>{% endif %}\
         <form method=\"post\" action=\"/login\"><input name=\"name\" value=\"{{ name }}\">\
         <input type=\"password\" name=\"password\"></form>",
    )
    .unwrap();
    std::fs::write(dir.join("style.css"), "body { color: teal; }").unwrap();
    let web = serve_web(
        &mut site,
        &format!("[web]\ntemplates = \"{}\"\n", dir.display()),
    );
    let b = Browser::new(&site, web, "x");
    let page = b.get("/login").body;
    assert!(page.contains("Example Corp mail"), "{page}");
    let r = b.login("<b>joe</b>", "nope");
    assert!(
        r.body.contains("value=\"&lt;b&gt;joe&lt;&#x2f;b&gt;\""),
        "escaped: {}",
        r.body
    );
    assert!(r.body.contains("Wrong account name or password."));
    assert_eq!(b.get("/static/style.css").body, "body { color: teal; }");
    // The pages the site did not replace are the built-in ones.
    assert_eq!(b.login("joe", "joepass12").status, 303);
    assert!(b.get("/messages").body.contains("id=\"messages\""));
}

#[test]
fn the_sieve_editor_checks_with_line_and_column() {
    let (site, web) = site();
    let b = Browser::new(&site, web, "joe");
    assert_eq!(b.login("joe", "joepass12").status, 303);
    let csrf = b.csrf("/sieve");
    let bad = "require \"fileinto\";\nif true {\n  fileinto;\n}\n";
    let r = b.post(
        "/sieve",
        &[
            ("csrf", &csrf),
            ("script", "mine"),
            ("text", bad),
            ("op", "check"),
        ],
    );
    assert!(r.body.contains("id=\"error\">line 3"), "{}", r.body);
    let r = b.post(
        "/sieve",
        &[
            ("csrf", &csrf),
            ("script", "mine"),
            ("text", bad),
            ("op", "save"),
        ],
    );
    assert!(r.body.contains("id=\"error\""), "not saved: {}", r.body);
    let good = "require \"fileinto\";\nif header :contains \"subject\" \"x\" { discard; }\n";
    let r = b.post(
        "/sieve",
        &[
            ("csrf", &csrf),
            ("script", "mine"),
            ("text", good),
            ("op", "check"),
        ],
    );
    assert!(r.body.contains("The script is valid."), "{}", r.body);
    let r = b.post(
        "/sieve",
        &[
            ("csrf", &csrf),
            ("script", "mine"),
            ("text", good),
            ("activate", "on"),
            ("op", "save"),
        ],
    );
    assert!(r.body.contains("The script is saved."), "{}", r.body);
    let listed = ok(&site.store, &["sieve", "list", "joe"], b"");
    assert!(listed.contains("mine"), "{listed}");
    assert!(b.get("/sieve?script=mine").body.contains("discard;"));
}
