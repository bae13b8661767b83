//! Per-account API tokens (`popstore token create|list|revoke`, the
//! `Authorization: Bearer` of the HTTP API).
//!
//! The store keeps only a SHA-256 of each token's secret, in one file at
//! the top of root 0, `APITOKEN.DAT` (SPEC.md 11.1): text lines
//! `ID ACCOUNT SHA256-HEX CREATED LABEL`. The token itself
//! (`pst_ID_SECRET`) is shown once, when created. Changes are made under
//! `APITOKEN.LCK` and replace the file atomically.

use popstore_formats::path::{Ods2Name, StorePath};
use popstore_platform::{DirPath, ErrorKind, LockMode, RecordFormat};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::engine::{Store, now};
use super::error::{Result, StoreError};
use super::groups::Actor;

/// What `token list` shows of a token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// The token's public id (8 hex digits).
    pub id: String,
    /// The account it acts as.
    pub account: String,
    /// When it was created (seconds since 1970).
    pub created: i64,
    /// A label given at creation.
    pub label: String,
}

#[derive(Debug, Clone)]
struct Line {
    info: TokenInfo,
    hash: String,
}

fn n(s: &str) -> Ods2Name {
    Ods2Name::new(s).unwrap_or_else(|_| unreachable!("invalid built-in name {s:?}"))
}

/// The token file.
pub fn tokens_path() -> StorePath {
    DirPath::root(0).file(n("APITOKEN"), n("DAT"))
}

fn tokens_lock() -> StorePath {
    DirPath::root(0).file(n("APITOKEN"), n("LCK"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn parse(text: &str) -> Vec<Line> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(5, ' ');
            let (id, account, hash, created) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some(Line {
                info: TokenInfo {
                    id: id.to_string(),
                    account: account.to_string(),
                    created: created.parse().ok()?,
                    label: f.next().unwrap_or("").to_string(),
                },
                hash: hash.to_string(),
            })
        })
        .collect()
}

fn render(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {} {}\n",
                l.info.id, l.info.account, l.hash, l.info.created, l.info.label
            )
        })
        .collect()
}

impl Store {
    fn read_tokens(&self) -> Result<Vec<Line>> {
        match self.fs.read(&tokens_path()) {
            Ok(b) => Ok(parse(&String::from_utf8_lossy(&b))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    fn change_tokens<T>(&self, f: impl FnOnce(&mut Vec<Line>) -> Result<T>) -> Result<T> {
        let _l = self.lock(&tokens_lock(), LockMode::Exclusive)?;
        let mut lines = self.read_tokens()?;
        let out = f(&mut lines)?;
        self.fs
            .replace(&tokens_path(), RecordFormat::Udf, render(&lines).as_bytes())?;
        Ok(out)
    }

    /// Creates a token acting as `account` (which `actor` must reach);
    /// returns the token, which is not kept anywhere.
    pub fn create_token(&self, actor: &Actor, account: &str, label: &str) -> Result<String> {
        let name = self.managed_account(actor, account)?;
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw)
            .map_err(|e| StoreError::Invalid(format!("no random numbers: {e}")))?;
        let id = hex(&raw[..4]);
        let secret = hex(&raw[4..]);
        let label: String = label
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(100)
            .collect();
        self.change_tokens(|lines| {
            lines.push(Line {
                info: TokenInfo {
                    id: id.clone(),
                    account: name.as_str().to_string(),
                    created: now(),
                    label,
                },
                hash: digest(&secret),
            });
            Ok(())
        })?;
        Ok(format!("pst_{id}_{secret}"))
    }

    /// The tokens of the accounts `actor` reaches (of `account` only, when
    /// given).
    pub fn list_tokens(&self, actor: &Actor, account: Option<&str>) -> Result<Vec<TokenInfo>> {
        let only = account
            .map(|a| self.managed_account(actor, a))
            .transpose()?;
        let mut out = Vec::new();
        for l in self.read_tokens()? {
            let ok = match &only {
                Some(n) => n.as_str() == l.info.account,
                None => self.managed_account(actor, &l.info.account).is_ok(),
            };
            if ok {
                out.push(l.info);
            }
        }
        Ok(out)
    }

    /// Revokes the token with this id (its account must be within reach).
    pub fn revoke_token(&self, actor: &Actor, id: &str) -> Result<TokenInfo> {
        self.change_tokens(|lines| {
            let i = lines
                .iter()
                .position(|l| l.info.id == id)
                .ok_or_else(|| StoreError::Invalid(format!("no token {id}")))?;
            self.managed_account(actor, &lines[i].info.account)?;
            Ok(lines.remove(i).info)
        })
    }

    /// The account a presented token acts as; `None` for an unknown or
    /// revoked token.
    pub fn check_token(&self, token: &str) -> Result<Option<String>> {
        let Some((id, secret)) = token.strip_prefix("pst_").and_then(|t| t.split_once('_')) else {
            return Ok(None);
        };
        let want = digest(secret);
        Ok(self
            .read_tokens()?
            .into_iter()
            .find(|l| l.info.id == id && same(&l.hash, &want))
            .map(|l| l.info.account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_compare_in_constant_form() {
        let lines = parse("0a0b0c0d joe abcd 17 my label\nbad\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].info.label, "my label");
        assert_eq!(render(&lines), "0a0b0c0d joe abcd 17 my label\n");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("ab", "abc"));
    }
}
