//! Value types shared by the file kinds: open enums, open flag sets and
//! secrets.

use std::fmt;

/// Declares an open enum: a newtype over an integer with named constants.
/// Unknown codes are kept as they are (they survive a rewrite) and print as
/// numbers. JSON: the name when known, else the number.
#[macro_export]
macro_rules! open_enum {
    ($(#[$m:meta])* pub struct $name:ident($t:ty) {
        $( $(#[$cm:meta])* $c:ident = $v:expr, $s:literal; )*
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $t);

        impl $name {
            $( $(#[$cm])* pub const $c: $name = $name($v); )*

            /// The spec's name of a known code.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( x if x == $v => Some($s), )*
                    _ => None,
                }
            }

            /// The code with the spec's name `s`.
            pub fn from_name(s: &str) -> Option<Self> {
                match s {
                    $( $s => Some(Self($v)), )*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}(0x{:x})", stringify!($name), self.0),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.name() {
                    Some(n) => s.serialize_str(n),
                    None => ::serde::Serialize::serialize(&self.0, s),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(::serde::Deserialize)]
                #[serde(untagged)]
                enum Repr {
                    N($t),
                    S(String),
                }
                match <Repr as ::serde::Deserialize>::deserialize(d)? {
                    Repr::N(n) => Ok(Self(n)),
                    Repr::S(s) => Self::from_name(&s).ok_or_else(|| {
                        <D::Error as ::serde::de::Error>::custom(format!(
                            "unknown {} {s:?}",
                            stringify!($name)
                        ))
                    }),
                }
            }
        }
    };
}

/// Declares an open set of flags: a newtype over an integer with named
/// bits. Unknown bits survive a rewrite. JSON: a list of names, unknown
/// bits as `"0x..."`.
#[macro_export]
macro_rules! open_flags {
    ($(#[$m:meta])* pub struct $name:ident($t:ty) {
        $( $(#[$cm:meta])* $c:ident = $v:expr, $s:literal; )*
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $t);

        impl $name {
            $( $(#[$cm])* pub const $c: $name = $name($v); )*
            /// Every named bit, with its name.
            pub const NAMED: &'static [($t, &'static str)] = &[ $( ($v, $s), )* ];

            /// True when every bit of `other` is set.
            pub fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
            /// Sets or clears the bits of `other`.
            #[allow(dead_code)] // not every flag set is changed in place
            pub fn set(&mut self, other: Self, on: bool) {
                if on { self.0 |= other.0 } else { self.0 &= !other.0 }
            }
            /// The names of the set bits; unknown bits as hex.
            pub fn names(self) -> Vec<String> {
                let mut out = Vec::new();
                let mut left = self.0;
                for (bit, name) in Self::NAMED {
                    if self.0 & bit != 0 {
                        out.push((*name).to_owned());
                        left &= !bit;
                    }
                }
                if left != 0 {
                    out.push(format!("0x{left:x}"));
                }
                out
            }
        }

        impl ::std::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, o: Self) -> Self {
                Self(self.0 | o.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.names().join("|"))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(&self.names(), s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let names = <Vec<String> as ::serde::Deserialize>::deserialize(d)?;
                let mut v: $t = 0;
                for n in names {
                    if let Some(h) = n.strip_prefix("0x") {
                        v |= <$t>::from_str_radix(h, 16).map_err(|e| {
                            <D::Error as ::serde::de::Error>::custom(e.to_string())
                        })?;
                    } else if let Some((bit, _)) = Self::NAMED.iter().find(|(_, s)| *s == n) {
                        v |= *bit;
                    } else {
                        return Err(<D::Error as ::serde::de::Error>::custom(format!(
                            "unknown {} flag {n:?}",
                            stringify!($name)
                        )));
                    }
                }
                Ok(Self(v))
            }
        }
    };
}

/// A secret (password verifier material). `Debug` never shows it; the JSON
/// view (for `inspect` and fixtures) shows it as hex.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(pub T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<T: AsRef<[u8]>> Secret<T> {
    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl<T: AsRef<[u8]>> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::codec::hex(self.0.as_ref()))
    }
}

impl<'de, T: TryFrom<Vec<u8>>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        let b = crate::codec::unhex(&s)
            .ok_or_else(|| <D::Error as serde::de::Error>::custom("secret is not hex"))?;
        T::try_from(b)
            .map(Secret)
            .map_err(|_| <D::Error as serde::de::Error>::custom("secret has the wrong length"))
    }
}

/// Bytes shown as hex in JSON (site-defined data, unknown records).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", crate::codec::hex(&self.0))
    }
}

impl serde::Serialize for HexBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::codec::hex(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for HexBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        crate::codec::unhex(&s)
            .map(HexBytes)
            .ok_or_else(|| <D::Error as serde::de::Error>::custom("not hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    open_enum! {
        /// Test enum.
        pub struct Colour(u16) {
            /// Red.
            RED = 1, "red";
        }
    }
    open_flags! {
        /// Test flags.
        pub struct Bits(u32) {
            /// A.
            A = 1, "a";
            /// B.
            B = 4, "b";
        }
    }

    #[test]
    fn open_enums_keep_unknown_codes() {
        assert_eq!(format!("{:?}", Colour::RED), "red");
        assert_eq!(format!("{:?}", Colour(9)), "Colour(0x9)");
        assert_eq!(serde_json::to_string(&Colour(9)).unwrap(), "9");
        let c: Colour = serde_json::from_str("\"red\"").unwrap();
        assert_eq!(c, Colour::RED);
    }

    #[test]
    fn open_flags_keep_unknown_bits() {
        let b = Bits(1 | 2 | 4);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"["a","b","0x2"]"#);
        let back: Bits = serde_json::from_str(r#"["a","b","0x2"]"#).unwrap();
        assert_eq!(back, b);
        assert!(b.contains(Bits::A | Bits::B));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret(vec![1u8, 2]);
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"0102\"");
    }
}

/// Bytes shown in JSON as a string when they are UTF-8, else as
/// `{"hex": "..."}` (message bodies, IMAP response texts).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TextBytes(pub Vec<u8>);

impl fmt::Debug for TextBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl serde::Serialize for TextBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(t) => s.serialize_str(t),
            Err(_) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("hex", &crate::codec::hex(&self.0))?;
                m.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for TextBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            S(String),
            H { hex: String },
        }
        match Repr::deserialize(d)? {
            Repr::S(s) => Ok(TextBytes(s.into_bytes())),
            Repr::H { hex } => crate::codec::unhex(&hex)
                .map(TextBytes)
                .ok_or_else(|| <D::Error as serde::de::Error>::custom("not hex")),
        }
    }
}
