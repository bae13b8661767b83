use std::sync::Mutex;

use super::*;
use crate::delivery::AcceptedRecipient;

/// Users `a` and `b`; `full` over quota; `dis` DISMAIL; `late` fails
/// temporarily at delivery.
#[derive(Default)]
struct Store {
    got: Mutex<Vec<(String, Vec<u8>)>>,
}

impl Delivery for Store {
    fn check_recipient(&self, _: &Envelope, r: &str, _: u64) -> Result<AcceptedRecipient, Refusal> {
        match r.split('@').next().unwrap_or("") {
            "a" | "b" | "late" => Ok(AcceptedRecipient { address: r.into() }),
            "full" => Err(Refusal::new(552, (5, 2, 2), "over quota")),
            "dis" => Err(Refusal::new(550, (5, 2, 1), "disabled")),
            _ => Err(Refusal::new(550, (5, 1, 1), "unknown")),
        }
    }

    fn deliver(
        &self,
        _: &Envelope,
        rs: &[AcceptedRecipient],
        m: &[u8],
    ) -> Vec<Result<(), Refusal>> {
        rs.iter()
            .map(|r| {
                if r.address.starts_with("late") {
                    return Err(Refusal::new(451, (4, 3, 0), "disk busy"));
                }
                self.got
                    .lock()
                    .unwrap()
                    .push((r.address.clone(), m.to_vec()));
                Ok(())
            })
            .collect()
    }
}

fn run(to: &[&str], quota: QuotaFailure) -> (Vec<Result<(), Refusal>>, Store) {
    let store = Store::default();
    let to: Vec<String> = to.iter().map(|s| s.to_string()).collect();
    let r = deliver(&store, &Envelope::default(), &to, b"m\r\n", quota);
    (r, store)
}

#[test]
fn results_come_per_recipient_in_order() {
    let (r, store) = run(&["x@h", "a@h", "full@h", "b@h"], QuotaFailure::Permanent);
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].as_ref().unwrap_err().code, 550);
    assert!(r[1].is_ok());
    assert_eq!(r[2].as_ref().unwrap_err().code, 552);
    assert!(r[3].is_ok());
    let got = store.got.lock().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], ("a@h".to_string(), b"m\r\n".to_vec()));
}

#[test]
fn exit_codes_follow_sysexits() {
    let code = |to: &[&str], q| overall_exit_code(&run(to, q).0);
    let p = QuotaFailure::Permanent;
    assert_eq!(code(&["a@h", "b@h"], p), 0);
    assert_eq!(code(&["x@h"], p), 67);
    assert_eq!(code(&["dis@h"], p), 77);
    assert_eq!(code(&["full@h"], p), 73);
    assert_eq!(code(&["full@h"], QuotaFailure::Temporary), 75);
    assert_eq!(code(&["late@h"], p), 75);
    // A temporary failure wins over permanent ones; else the first failure.
    assert_eq!(code(&["x@h", "late@h", "dis@h"], p), 75);
    assert_eq!(code(&["a@h", "dis@h", "x@h"], p), 77);
    assert_eq!(exit_code(&Refusal::new(552, (5, 3, 4), "big")), 65);
    assert_eq!(exit_code(&Refusal::new(554, (5, 0, 0), "no")), 69);
    assert_eq!(exit_code(&Refusal::new(250, (2, 0, 0), "odd")), 75);
}

#[test]
fn messages_are_normalized_to_crlf() {
    assert_eq!(normalize(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    assert_eq!(
        normalize(b"From sender@x Mon Jan 1 00:00:00 2024\nSubject: s\n\nbody"),
        b"Subject: s\r\n\r\nbody"
    );
    assert_eq!(normalize(b"\n\n"), b"\r\n\r\n");
    assert_eq!(normalize(b"no newline"), b"no newline");
    assert_eq!(normalize(b""), b"");
    assert_eq!(normalize(b"From x"), b"");
    assert_eq!(
        normalize(b"Subject: From here\n"),
        b"Subject: From here\r\n"
    );
}
