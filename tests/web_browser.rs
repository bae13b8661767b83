//! The main user story of the web interface in a real headless Chromium
//! (Debian's chromium + chromium-driver, driven over WebDriver by
//! fantoccini) against the real binary: a manager creates an account with
//! a quota, finds it, changes its group; the user changes the password
//! (POP3 then takes only the new one), sets a vacation notice (a message
//! over LMTP gets exactly one reply at an SMTP sink), reads the message
//! and deletes it (POP3 no longer lists it), and makes a filter that
//! discards matching mail. Screenshots of the pages go to
//! `target/tmp/web-screenshots/`.

mod common;
#[path = "web/http.rs"]
mod http;
#[path = "auth/site.rs"]
mod site;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{Sink, ok, require};
use fantoccini::{Client, ClientBuilder, Locator};
use site::Site;

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        require("chromedriver", &["--version"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // A process group of its own: the browsers it starts go with it
        // when the test ends, even by a panic.
        let mut child = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            if line.unwrap().contains("started successfully") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--window-size=1100,850"]}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("chromedriver session")
}

fn shots() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

async fn fill(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Clicks what submits a form or follows a link, and waits until the
/// next page has replaced this one and finished loading.
async fn submit(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    click(c, css).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while old.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "no new page after {css}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    loop {
        let state = c.execute("return document.readyState", vec![]).await;
        if state.is_ok_and(|s| s == "complete") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page after {css} did not load"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn login(c: &Client, web: SocketAddr, name: &str, password: &str) {
    c.goto(&format!("http://{web}/login")).await.unwrap();
    fill(c, "name", name).await;
    fill(c, "password", password).await;
    submit(c, "#login").await;
}

async fn logout(c: &Client) {
    submit(c, "#logout").await;
}

fn lmtp(site: &Site, to: &str, message: &str) {
    let msg = common::write_file(site.dir.path(), "msg.eml", message.as_bytes());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/lmtp_smtplib.py");
    let out = Command::new("python3")
        .arg(script)
        .args([&site.addr("LMTP").to_string(), "sender@example.org", to])
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["data"][0][0], 250, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_user_story_in_chromium() {
    let mut site = Site::new();
    for g in ["sales", "support"] {
        ok(&site.store, &["group", "add", g], b"");
    }
    site.user("boss", Some("bosspass1"), "MANAGE");
    let sink_dir = site.path("sink");
    std::fs::create_dir(&sink_dir).unwrap();
    let sink = Sink::start(&sink_dir);
    site.serve(
        &["web", "lmtp"],
        &["web", "LMTP"],
        &format!(
            "[relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n",
            sink.port
        ),
    );
    let web = site.addr("web");
    let driver = Driver::start();
    let c = browser(&driver).await;

    // The manager: log in, create an account with a quota, find it, move it.
    login(&c, web, "boss", "bosspass1").await;
    assert!(text(&c, "#accounts").await.parse::<u32>().unwrap() >= 1);
    shot(&c, "dashboard").await;
    c.goto(&format!("http://{web}/accounts")).await.unwrap();
    submit(&c, "#new-account").await;
    fill(&c, "name", "carol").await;
    fill(&c, "owner", "Carol <script>alert(1)</script>").await;
    click(&c, "#group option[value='sales']").await;
    fill(&c, "quota", "20m").await;
    fill(&c, "password", "carolpass1").await;
    shot(&c, "account-new").await;
    submit(&c, "#save").await;
    c.goto(&format!("http://{web}/accounts?q=car"))
        .await
        .unwrap();
    let list = text(&c, "#account-list").await;
    assert!(
        list.contains("carol") && list.contains("Carol <script>alert(1)</script>"),
        "{list}"
    );
    assert!(list.contains("20971520"), "{list}");
    shot(&c, "accounts").await;
    submit(&c, "#account-list a[href='/accounts/carol']").await;
    click(&c, "#group option[value='support']").await;
    submit(&c, "#save").await;
    assert_eq!(text(&c, "#notice").await, "Saved.");
    let shown = ok(&site.store, &["user", "show", "carol"], b"");
    assert!(shown.contains("support"), "{shown}");
    c.goto(&format!("http://{web}/groups")).await.unwrap();
    shot(&c, "groups").await;
    logout(&c).await;

    // The user: change the password; POP3 takes only the new one.
    login(&c, web, "carol", "carolpass1").await;
    c.goto(&format!("http://{web}/password")).await.unwrap();
    fill(&c, "old", "carolpass1").await;
    fill(&c, "new", "carol-new-pass").await;
    fill(&c, "again", "carol-new-pass").await;
    submit(&c, "#change").await;
    assert_eq!(text(&c, "#notice").await, "Your password is changed.");
    shot(&c, "password").await;
    assert!(site::curl_login(site.pop3(), "carol", "carol-new-pass"));
    assert!(!site::curl_login(site.pop3(), "carol", "carolpass1"));

    // A vacation notice: one reply to two messages from one sender.
    c.goto(&format!("http://{web}/vacation")).await.unwrap();
    click(&c, "#enabled").await;
    fill(&c, "subject", "Away").await;
    fill(&c, "text", "I am away until Monday.").await;
    submit(&c, "#save").await;
    assert_eq!(text(&c, "#notice").await, "The vacation notice is saved.");
    shot(&c, "vacation").await;
    for n in 1..=2 {
        lmtp(
            &site,
            "carol@localhost",
            &format!(
                "From: sender@example.org\r\nTo: carol@localhost\r\nSubject: <script>x</script> hello {n}\r\n\
             Message-ID: <m{n}@example.org>\r\n\r\nHello Carol {n}\r\n"
            ),
        );
    }
    assert_eq!(sink.count(), 1, "exactly one vacation reply");
    let (reply, envelope) = sink.message(1);
    assert_eq!(envelope["to"][0], "sender@example.org");
    assert!(String::from_utf8_lossy(&reply).contains("I am away until Monday."));

    // Read the first message in the browser (the Subject shows as text),
    // delete it; POP3 no longer lists it.
    c.goto(&format!("http://{web}/messages")).await.unwrap();
    let list = text(&c, "#messages").await;
    assert!(list.contains("<script>x</script> hello 1"), "{list}");
    shot(&c, "messages").await;
    submit(&c, "#messages a[href*='/messages/']").await;
    let headers = text(&c, "#headers").await;
    assert!(headers.contains("<script>x</script> hello"), "{headers}");
    shot(&c, "message").await;
    submit(&c, "#delete").await;
    let list = text(&c, "#messages").await;
    assert_eq!(list.matches("hello").count(), 1, "{list}");
    let pop = Command::new("curl")
        .args(["-s", "-u", "carol:carol-new-pass"])
        .arg(format!("pop3://127.0.0.1:{}/", site.pop3().port()))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&pop.stdout).lines().count(),
        1,
        "POP3 lists one"
    );

    // A filter discards matching mail (a popstore account has no folders).
    c.goto(&format!("http://{web}/filters")).await.unwrap();
    fill(&c, "header", "Subject").await;
    fill(&c, "value", "lottery").await;
    click(&c, "#action option[value='discard']").await;
    submit(&c, "#add-filter").await;
    assert!(text(&c, "#generated").await.contains("discard;"));
    shot(&c, "filters").await;
    lmtp(
        &site,
        "carol@localhost",
        "From: x@example.org\r\nSubject: You won the lottery\r\n\r\nClick\r\n",
    );
    lmtp(
        &site,
        "carol@localhost",
        "From: y@example.org\r\nSubject: Lunch\r\n\r\nNoon?\r\n",
    );
    c.goto(&format!("http://{web}/messages")).await.unwrap();
    let list = text(&c, "#messages").await;
    assert!(
        list.contains("Lunch") && !list.contains("lottery"),
        "{list}"
    );
    logout(&c).await;
    c.close().await.unwrap();
}
