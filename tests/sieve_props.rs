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
