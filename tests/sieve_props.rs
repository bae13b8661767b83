//! Malformed scripts: any input gives a script or an error with a line
//! and column inside the input, never a panic.

use popstore::sieve::{self, Limits};
use proptest::prelude::*;

fn check(src: &str) {
    if let Err(e) = sieve::compile(src, &Limits::default()) {
        let lines = src.split('\n').count();
        assert!(
            e.line >= 1 && e.line <= lines,
            "line {} of {lines}: {e}",
            e.line
        );
        assert!(e.column >= 1, "{e}");
        assert!(!e.message.is_empty());
    }
}

const TOKENS: &[&str] = &[
    "require",
    "if",
    "elsif",
    "else",
    "header",
    "address",
    "envelope",
    "body",
    "fileinto",
    "redirect",
    "vacation",
    "set",
    "string",
    "date",
    "keep",
    "discard",
    "stop",
    "reject",
    "addflag",
    "hasflag",
    "not",
    "anyof",
    "allof",
    "true",
    "false",
    "exists",
    "size",
    ":is",
    ":contains",
    ":matches",
    ":count",
    ":value",
    ":over",
    ":index",
    ":last",
    ":days",
    ":copy",
    ":flags",
    ":comparator",
    "\"subject\"",
    "\"x\"",
    "\"${1}\"",
    "\"${hex:41}\"",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    ",",
    ";",
    "10K",
    "0",
    "text:\n",
    ".\n",
    "# c\n",
    "/*",
    "*/",
    "\n",
    " ",
    "\"variables\"",
    "\"fileinto\"",
    "\"gt\"",
    "\"i;ascii-numeric\"",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,200}") {
        check(&s);
    }

    #[test]
    fn random_token_soup_never_panics(toks in prop::collection::vec(prop::sample::select(TOKENS), 0..60)) {
        check(&toks.join(" "));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "if true { ".repeat(10_000);
    let e = sieve::compile(&deep, &Limits::default()).expect_err("too deep");
    assert!(e.message.contains("nested"), "{e}");
    let tests = format!("if {}true{} {{ keep; }}", "not ".repeat(10_000), "");
    assert!(sieve::compile(&tests, &Limits::default()).is_err());
    let lists = format!(
        "if {}true{} {{ keep; }}",
        "anyof(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(sieve::compile(&lists, &Limits::default()).is_err());
}

#[test]
fn invalid_utf8_is_an_error_with_its_position() {
    let e =
        sieve::compile_bytes(b"keep;\n  \"ab\xff\";", &Limits::default()).expect_err("not UTF-8");
    assert_eq!((e.line, e.column), (2, 6), "{e}");
}

proptest! {
    #[test]
    fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Err(e) = sieve::compile_bytes(&b, &Limits::default()) {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }
}

#[test]
fn oversized_script_is_refused() {
    let limits = Limits {
        max_script_size: 100,
        ..Limits::default()
    };
    let e = sieve::compile(&"keep;".repeat(30), &limits).expect_err("too big");
    assert!(e.message.contains("larger"), "{e}");
}

#[test]
fn errors_name_the_right_place() {
    let cases: &[(&str, usize, usize)] = &[
        ("keep;\ndiscard\n", 3, 1),
        ("keep;\n  frob;", 2, 3),
        ("if header :is \"a\" \"b\" {\n stop;\n", 3, 1),
        ("require \"fileinto\";\nfileinto;", 2, 1),
        ("keep;\n\"é\" @", 2, 5),
        ("if true { keep; } else", 1, 23),
    ];
    for (src, line, col) in cases {
        let e = sieve::compile(src, &Limits::default()).expect_err(src);
        assert_eq!((e.line, e.column), (*line, *col), "{src:?}: {e}");
    }
}

/// A script touching every part of the message, for random messages.
const EVERYTHING: &str = r#"require ["body","date","index","relational","variables","envelope","subaddress","imap4flags","fileinto","comparator-i;ascii-numeric","vacation"];
if header :matches "subject" "*a*b*" { set "s" "${1}"; }
if address :detail :contains ["from","to","cc"] "x" { addflag "d"; }
if envelope :user "to" "bob" { keep; }
if body :content "text" :contains "q" { fileinto "Q"; }
if body :raw :matches "*=?*" { fileinto "R"; }
if date :index 1 :last :value "gt" "date" "year" "2000" { fileinto "Y"; }
if header :count "gt" :comparator "i;ascii-numeric" "received" "2" { discard; }
vacation "away";
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_messages_never_panic(raw in prop::collection::vec(any::<u8>(), 0..2000),
                                   head in "(Subject|From|To|Cc|Date|Received|Content-Type|Content-Transfer-Encoding): [ -~]{0,60}\r\n") {
        let limits = Limits::default();
        let script = sieve::compile(EVERYTHING, &limits).expect("compiles");
        let mut m = head.into_bytes();
        m.extend_from_slice(&raw);
        let msg = sieve::Message::parse(&m, "a@example.com", "bob+x@example.org");
        let exists = |_: &str| true;
        let env = sieve::Env { now: 0, local_offset: 0, limits: &limits, mailbox_exists: &exists, separator: '+' };
        let _ = sieve::run(&script, &msg, &env);
    }
}

#[test]
fn pathological_wildcards_hit_the_step_limit_not_the_stack() {
    // Every extension of the star re-reads 1000 characters: O(key × value).
    let key = format!("*{}b", "a".repeat(1000));
    let script = format!("if header :matches \"subject\" \"{key}\" {{ discard; }}");
    let limits = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    let s = sieve::compile(&script, &limits).expect("compiles");
    let subject = "a".repeat(20_000);
    let raw = format!("Subject: {subject}\r\n\r\nx\r\n");
    let msg = sieve::Message::parse(raw.as_bytes(), "a@example.com", "b@example.org");
    let exists = |_: &str| true;
    let env = sieve::Env {
        now: 0,
        local_offset: 0,
        limits: &limits,
        mailbox_exists: &exists,
        separator: '+',
    };
    let e = sieve::run(&s, &msg, &env).expect_err("too much work");
    assert!(e.message.contains("steps"), "{e}");
    let long_lit = format!(
        "if header :matches \"subject\" \"{}\" {{ discard; }}",
        "a".repeat(200_000)
    );
    let s = sieve::compile(&long_lit, &Limits::default()).expect("compiles");
    let out = sieve::run(
        &s,
        &msg,
        &sieve::Env {
            now: 0,
            local_offset: 0,
            limits: &Limits::default(),
            mailbox_exists: &exists,
            separator: '+',
        },
    );
    assert!(out.is_ok(), "a long literal key is no stack risk");
}
