//! The HTTP API through the real binary, over real HTTP (curl): every
//! route of the OpenAPI document answers, and the permissions are the
//! CLI's (a MANAGE account of `sales` reaches `sales` and below, a WORLD
//! manager everything, a user itself), refusals are 401/403/404 with a
//! JSON error and change nothing; cross-origin browser requests are
//! refused.

mod common;
#[path = "web/http.rs"]
mod http;
#[path = "auth/site.rs"]
mod site;

use common::ok;
use http::{api, deliver, serve_web, token};
use serde_json::json;
use site::Site;

/// Groups staff > sales, and support; root (WORLD manager), salesboss
/// (MANAGE in sales), alice (sales), bob (support), joe (no group).
fn store() -> Site {
    let site = Site::new();
    for (g, parent) in [("staff", None), ("sales", Some("staff")), ("support", None)] {
        let mut args = vec!["group", "add", g];
        if let Some(p) = parent {
            args.extend(["--parent", p]);
        }
        ok(&site.store, &args, b"");
    }
    site.user("root", Some("rootpass1"), "MANAGE");
    site.user("salesboss", Some("bosspass1"), "MANAGE");
    site.user("alice", Some("alicepass1"), "");
    site.user("bob", Some("bobpass12"), "");
    site.user("joe", Some("joepass12"), "");
    for (a, g) in [
        ("salesboss", "sales"),
        ("alice", "sales"),
        ("bob", "support"),
    ] {
        ok(&site.store, &["user", "modify", a, "--group", g], b"");
    }
    site
}

fn names(page: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = page["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn accounts_follow_the_cli_permissions() {
    let mut site = store();
    let (root, boss, alice) = (
        token(&site, "root"),
        token(&site, "salesboss"),
        token(&site, "alice"),
    );
    let web = serve_web(&mut site, "");

    // No or bad credentials: 401 with a JSON error.
    let r = api(web, "", "GET", "/api/v1/accounts", None);
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].is_string());
    assert_eq!(
        api(web, "pst_00000000_00", "GET", "/api/v1/accounts", None).status,
        401
    );

    // The WORLD manager sees everyone; the sales manager its group only.
    let all = api(web, &root, "GET", "/api/v1/accounts", None);
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(names(&all.json()).contains(&"bob".to_string()));
    let sales = api(web, &boss, "GET", "/api/v1/accounts?pattern=*", None).json();
    assert_eq!(names(&sales), ["alice", "salesboss"]);
    // Wildcards and paging.
    let a = api(web, &root, "GET", "/api/v1/accounts?pattern=a*", None).json();
    assert_eq!(names(&a), ["alice"]);
    let p1 = api(web, &root, "GET", "/api/v1/accounts?limit=2", None).json();
    assert_eq!(p1["accounts"].as_array().unwrap().len(), 2);
    let next = p1["next_offset"].as_u64().expect("a next page");
    let p2 = api(
        web,
        &root,
        "GET",
        &format!("/api/v1/accounts?limit=100&offset={next}"),
        None,
    )
    .json();
    assert!(p2["next_offset"].is_null());
    assert!(
        names(&p1).iter().all(|n| !names(&p2).contains(n)),
        "pages overlap"
    );

    // Outside the sales manager's reach: 403, and nothing changes.
    assert_eq!(
        api(web, &boss, "GET", "/api/v1/accounts/bob", None).status,
        403
    );
    let r = api(
        web,
        &boss,
        "PATCH",
        "/api/v1/accounts/bob",
        Some(json!({"owner": "Hacked"})),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        api(web, &root, "GET", "/api/v1/accounts/bob", None).json()["owner"],
        ""
    );
    assert_eq!(
        api(web, &boss, "DELETE", "/api/v1/accounts/bob", None).status,
        403
    );
    assert_eq!(
        api(
            web,
            &boss,
            "PUT",
            "/api/v1/accounts/bob/password",
            Some(json!({"password": "whatever123"}))
        )
        .status,
        403
    );

    // Add with a quota in units; the sales manager finds it in its list.
    let r = api(
        web,
        &root,
        "POST",
        "/api/v1/accounts",
        Some(
            json!({"name": "newbie", "owner": "New <b>Bie</b>", "group": "sales", "quota": "10m", "password": "newbiepass"}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["quota"], 10 * 1024 * 1024);
    assert!(
        names(&api(web, &boss, "GET", "/api/v1/accounts", None).json())
            .contains(&"newbie".to_string())
    );
    assert_eq!(
        api(
            web,
            &root,
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": "newbie"}))
        )
        .status,
        409
    );
    // Moving it out of reach is refused whole: the owner stays too.
    let r = api(
        web,
        &boss,
        "PATCH",
        "/api/v1/accounts/newbie",
        Some(json!({"owner": "X", "group": "support"})),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        api(web, &root, "GET", "/api/v1/accounts/newbie", None).json()["owner"],
        "New <b>Bie</b>"
    );
    // A bad value is refused before anything changes.
    let r = api(
        web,
        &boss,
        "PATCH",
        "/api/v1/accounts/newbie",
        Some(json!({"owner": "Y", "quota": "lots"})),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        api(web, &root, "GET", "/api/v1/accounts/newbie", None).json()["owner"],
        "New <b>Bie</b>"
    );
    let r = api(
        web,
        &boss,
        "PATCH",
        "/api/v1/accounts/newbie",
        Some(json!({"flags": "LOCKPWD", "overdraft": "1m"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["flags"], json!(["LOCKPWD"]));

    // A user: itself only, and no management.
    assert_eq!(
        api(web, &alice, "GET", "/api/v1/accounts", None).status,
        403
    );
    assert_eq!(
        api(web, &alice, "GET", "/api/v1/accounts/alice", None).status,
        200
    );
    assert_eq!(
        api(web, &alice, "GET", "/api/v1/accounts/bob", None).status,
        403
    );
    assert_eq!(
        api(
            web,
            &alice,
            "PATCH",
            "/api/v1/accounts/alice",
            Some(json!({"quota": "none"}))
        )
        .status,
        403
    );
    let r = api(
        web,
        &alice,
        "PUT",
        "/api/v1/accounts/alice/password",
        Some(json!({"password": "short"})),
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("at least 8"));
    let r = api(
        web,
        &alice,
        "PUT",
        "/api/v1/accounts/alice/password",
        Some(json!({"password": "alicepass2"})),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(site::curl_login(site.pop3(), "alice", "alicepass2"));
    assert!(!site::curl_login(site.pop3(), "alice", "alicepass1"));

    // Delete; then 404.
    assert_eq!(
        api(web, &boss, "DELETE", "/api/v1/accounts/newbie", None).status,
        204
    );
    assert_eq!(
        api(web, &root, "GET", "/api/v1/accounts/newbie", None).status,
        404
    );
    assert!(!site.log().contains("alicepass"), "a password in the log");
}

#[test]
fn groups_forwarding_summary_verify_and_tokens() {
    let mut site = store();
    let (root, boss, alice) = (
        token(&site, "root"),
        token(&site, "salesboss"),
        token(&site, "alice"),
    );
    let web = serve_web(&mut site, "");

    let g = api(web, &boss, "GET", "/api/v1/groups", None).json();
    assert_eq!(g.as_array().unwrap().len(), 3);
    assert_eq!(api(web, &alice, "GET", "/api/v1/groups", None).status, 403);
    assert_eq!(
        api(
            web,
            &boss,
            "POST",
            "/api/v1/groups",
            Some(json!({"name": "emea", "parent": "sales"}))
        )
        .status,
        403
    );
    assert_eq!(
        api(
            web,
            &root,
            "POST",
            "/api/v1/groups",
            Some(json!({"name": "emea", "parent": "sales"}))
        )
        .status,
        201
    );
    assert_eq!(
        api(web, &root, "DELETE", "/api/v1/groups/emea", None).status,
        204
    );

    let r = api(
        web,
        &root,
        "POST",
        "/api/v1/forwardings",
        Some(json!({"name": "info", "targets": ["alice"]})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let f = api(web, &root, "GET", "/api/v1/forwardings", None).json();
    assert_eq!(f[0]["name"], "info");
    assert_eq!(
        api(web, &root, "DELETE", "/api/v1/forwardings/info", None).status,
        204
    );

    deliver(&site, "bob", "Subject: hi\r\n\r\nbody\r\n");
    let s = api(web, &root, "GET", "/api/v1/summary", None).json();
    assert_eq!(s["messages"], 1);
    assert!(s["accounts"].as_u64().unwrap() >= 5);
    assert!(s["sessions"]["web"].is_u64());
    // The sales manager's summary counts its group only.
    assert_eq!(
        api(web, &boss, "GET", "/api/v1/summary", None).json()["messages"],
        0
    );
    // An older count will do when the caller says so; without `max_age`
    // the store is counted again.
    deliver(&site, "bob", "Subject: again\r\n\r\nbody\r\n");
    let old = api(web, &root, "GET", "/api/v1/summary?max_age=3600", None).json();
    assert_eq!(old["messages"], 1, "the last count, before the delivery");
    let now = api(web, &root, "GET", "/api/v1/summary", None).json();
    assert_eq!(now["messages"], 2);
    assert!(now["counted_at"].as_i64().unwrap() >= s["counted_at"].as_i64().unwrap());

    let v = api(web, &root, "GET", "/api/v1/verify", None);
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(
        v.json()["problems"],
        json!([]),
        "the token file is a known file"
    );
    assert_eq!(api(web, &boss, "GET", "/api/v1/verify", None).status, 403);

    // Tokens: a user's own; shown once, listed without the secret, revoked.
    let r = api(
        web,
        &alice,
        "POST",
        "/api/v1/tokens",
        Some(json!({"label": "script"})),
    );
    assert_eq!(r.status, 201);
    let t = r.json()["token"].as_str().unwrap().to_string();
    let list = api(web, &t, "GET", "/api/v1/tokens", None);
    assert!(!list.body.contains(t.split('_').nth(2).unwrap()));
    let id = t.split('_').nth(1).unwrap();
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    assert_eq!(
        api(web, &boss, "DELETE", &format!("/api/v1/tokens/{id}"), None).status,
        204,
        "alice is in sales"
    );
    assert_eq!(api(web, &t, "GET", "/api/v1/tokens", None).status, 401);
    let listed = ok(&site.store, &["token", "list", "alice"], b"");
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

#[test]
fn messages_vacation_and_sieve() {
    let mut site = store();
    let (root, joe) = (token(&site, "root"), token(&site, "joe"));
    let web = serve_web(&mut site, "");
    deliver(
        &site,
        "joe",
        "Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: a@b.c\r\n\r\nhello\r\n",
    );
    deliver(&site, "joe", "Subject: second\r\n\r\nbye\r\n");

    let page = api(web, &joe, "GET", "/api/v1/messages", None).json();
    assert_eq!(page["total"], 2);
    let first = &page["messages"][1];
    assert_eq!(first["subject"], "café");
    assert_eq!(first["seen"], false);
    let id = first["id"].as_str().unwrap().to_string();
    let m = api(web, &joe, "GET", &format!("/api/v1/messages/{id}"), None);
    assert_eq!(m.status, 200);
    assert!(m.body.contains("hello"));
    assert!(
        m.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let page = api(web, &joe, "GET", "/api/v1/messages", None).json();
    assert_eq!(
        page["messages"][1]["seen"], true,
        "read over the web is seen"
    );
    assert_eq!(
        api(web, &joe, "DELETE", &format!("/api/v1/messages/{id}"), None).status,
        204
    );
    assert_eq!(
        api(web, &joe, "GET", &format!("/api/v1/messages/{id}"), None).status,
        404
    );
    assert_eq!(
        api(web, &joe, "GET", "/api/v1/messages", None).json()["total"],
        1
    );
    // The manager does not read the user's mail through this route.
    assert_eq!(
        api(web, &root, "GET", "/api/v1/messages", None).json()["total"],
        0
    );

    let u = api(web, &joe, "GET", "/api/v1/accounts/joe/usage", None).json();
    assert_eq!(u["messages"], 1);

    let v = json!({"enabled": true, "subject": "Away", "text": "Back soon", "start": "", "end": "",
        "addresses": [], "days": 3});
    let r = api(
        web,
        &joe,
        "PUT",
        "/api/v1/accounts/joe/vacation",
        Some(v.clone()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        api(web, &joe, "GET", "/api/v1/accounts/joe/vacation", None).json(),
        v
    );
    let scripts = api(web, &joe, "GET", "/api/v1/accounts/joe/sieve", None).json();
    assert_eq!(scripts, json!([{"name": "popstore-web", "active": true}]));
    assert_eq!(
        api(
            web,
            &joe,
            "PUT",
            "/api/v1/accounts/joe/vacation",
            Some(json!({"enabled": true, "text": "x", "start": "soon"}))
        )
        .status,
        400
    );

    let r = request_sieve(
        web,
        &joe,
        "mine",
        "require \"fileinto\";\nif true { fileinto }\n",
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"].as_str().unwrap().contains(":2:"),
        "{}",
        r.body
    );
    let r = request_sieve(web, &joe, "mine", "keep;\n");
    assert_eq!(r.status, 204, "{}", r.body);
    let got = api(web, &joe, "GET", "/api/v1/accounts/joe/sieve/mine", None);
    assert_eq!(got.body, "keep;\n");
    assert_eq!(
        api(web, &joe, "GET", "/api/v1/accounts/bob/sieve", None).status,
        403
    );
    assert_eq!(
        api(web, &root, "GET", "/api/v1/accounts/joe/sieve/none", None).status,
        404
    );
    assert_eq!(
        api(web, &joe, "DELETE", "/api/v1/accounts/joe/sieve/mine", None).status,
        204
    );
}

fn request_sieve(web: std::net::SocketAddr, token: &str, name: &str, text: &str) -> http::Answer {
    let auth = format!("Authorization: Bearer {token}");
    http::request(
        web,
        "PUT",
        &format!("/api/v1/accounts/joe/sieve/{name}"),
        &["-H", &auth, "-H", "Content-Type: application/sieve"],
        Some(text.as_bytes()),
    )
}

/// Every operation of the OpenAPI document is routed (no 404 "no such
/// API route", no 405), and the document names every route tried here.
#[test]
fn openapi_document_agrees_with_the_routes() {
    let mut site = store();
    let root = token(&site, "root");
    let web = serve_web(&mut site, "");
    let doc = api(web, "", "GET", "/api/v1/openapi.json", None).json();
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let concrete = path
                .replace("{name}", "joe")
                .replace("{script}", "nope")
                .replace("{id}", "nope");
            let body = (method != "get" && method != "delete").then(|| json!({}));
            let r = api(web, &root, &method.to_uppercase(), &concrete, body);
            assert_ne!(r.status, 405, "{method} {path}: not routed");
            assert!(
                !r.body.contains("no such API route"),
                "{method} {path}: not routed"
            );
        }
    }
    assert!(operations >= 30, "{operations} operations");
    // And the other way: an undocumented path is not served.
    let r = api(web, &root, "GET", "/api/v1/undocumented", None);
    assert_eq!(r.status, 404);
    assert!(r.body.contains("no such API route"));
}

#[test]
fn cross_origin_requests_are_refused() {
    let mut site = store();
    let root = token(&site, "root");
    let web = serve_web(&mut site, "");
    let auth = format!("Authorization: Bearer {root}");
    for h in ["Origin: http://evil.example", "Sec-Fetch-Site: cross-site"] {
        let r = http::request(
            web,
            "GET",
            "/api/v1/accounts",
            &["-H", &auth, "-H", h],
            None,
        );
        assert_eq!(r.status, 403, "{h}");
        assert!(r.json()["error"].as_str().unwrap().contains("cross-origin"));
    }
    let same = format!("Origin: http://{web}");
    let r = http::request(
        web,
        "GET",
        "/api/v1/accounts",
        &["-H", &auth, "-H", &same],
        None,
    );
    assert_eq!(r.status, 200);
}

/// The web pages' script runs first and the user's own, active before,
/// after it: setting a vacation notice never switches the user's rules
/// off.
#[test]
fn the_pages_script_keeps_the_users_own_script_running() {
    let mut site = store();
    let joe = token(&site, "joe");
    let web = serve_web(&mut site, "");
    let auth = format!("Authorization: Bearer {joe}");
    let r = http::request(
        web,
        "PUT",
        "/api/v1/accounts/joe/sieve/mine?activate=true",
        &["-H", &auth, "-H", "Content-Type: application/sieve"],
        Some(b"if header :contains \"subject\" \"spam\" { discard; }\n"),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let v = json!({"enabled": true, "subject": "Away", "text": "Back soon", "start": "", "end": "",
        "addresses": [], "days": 3});
    let r = api(
        web,
        &joe,
        "PUT",
        "/api/v1/accounts/joe/vacation",
        Some(v.clone()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let scripts = api(web, &joe, "GET", "/api/v1/accounts/joe/sieve", None).json();
    assert_eq!(
        scripts,
        json!([{"name": "mine", "active": false}, {"name": "popstore-web", "active": true}])
    );
    let ours = api(
        web,
        &joe,
        "GET",
        "/api/v1/accounts/joe/sieve/popstore-web",
        None,
    );
    assert!(
        ours.body.contains("include :personal :optional \"mine\";"),
        "{}",
        ours.body
    );
    // Saved again (ours is active now): it still includes the user's.
    let r = api(web, &joe, "PUT", "/api/v1/accounts/joe/vacation", Some(v));
    assert_eq!(r.status, 200, "{}", r.body);
    let ours = api(
        web,
        &joe,
        "GET",
        "/api/v1/accounts/joe/sieve/popstore-web",
        None,
    );
    assert!(ours.body.contains("\"mine\""), "{}", ours.body);

    // The user's rule still runs at delivery.
    deliver(
        &site,
        "joe",
        "From: a@b.example\r\nSubject: spam spam\r\n\r\nbuy\r\n",
    );
    deliver(
        &site,
        "joe",
        "From: a@b.example\r\nSubject: hello\r\n\r\nhi\r\n",
    );
    let page = api(web, &joe, "GET", "/api/v1/messages", None).json();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["messages"][0]["subject"], "hello");
}
