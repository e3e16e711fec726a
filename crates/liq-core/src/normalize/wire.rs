//! Lenient wire primitives shared by the exchange parsers.
//!
//! Exchanges send numbers as strings (and sometimes as numbers); these types accept both without
//! allocating, keep the text for error messages, and never fail the whole message because one
//! field has an unexpected JSON type: the caller decides, with a typed error naming the field.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Reason;
use crate::event::Level;

/// A JSON string, borrowed from the message (owned only when it contains escapes).
///
/// A newtype rather than `Cow<str>`: serde borrows a `Cow<str>` field only when it is not inside
/// an `Option`, and every optional text field would otherwise allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

/// A numeric field as found on the wire: a number, a string, or something else.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// A JSON number.
    Num(f64),
    /// A JSON string (to be parsed).
    Str(Text<'a>),
    /// Any other JSON type (named for the error message).
    Other(&'static str),
}

impl Scalar<'_> {
    /// Parses the value as f64 (any finite or non-finite value; see [`Self::positive`]).
    pub(crate) fn value(&self, field: &'static str) -> Result<f64, Reason> {
        match self {
            Scalar::Num(v) => Ok(*v),
            Scalar::Str(s) => s.trim().parse::<f64>().map_err(|_| Reason::BadNumber {
                field,
                value: truncate(s),
            }),
            Scalar::Other(t) => Err(Reason::BadNumber {
                field,
                value: (*t).to_owned(),
            }),
        }
    }

    /// Parses the value and requires it to be finite and strictly positive.
    pub(crate) fn positive(&self, field: &'static str) -> Result<f64, Reason> {
        let v = self.value(field)?;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(Reason::NotPositive { field, value: v })
        }
    }

    /// Parses the value and requires it to be finite (any sign).
    pub(crate) fn finite(&self, field: &'static str) -> Result<f64, Reason> {
        let v = self.value(field)?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(Reason::NotFinite { field, value: v })
        }
    }
}

impl Scalar<'_> {
    /// The value as text for an error message (truncated).
    pub(crate) fn display_text(&self) -> String {
        match self {
            Scalar::Num(v) => format!("{v}"),
            Scalar::Str(s) => truncate(s),
            Scalar::Other(t) => (*t).to_owned(),
        }
    }
}

/// An array item that is either the expected object or something else (counted, skipped).
///
/// Lets a batch skip a malformed item (F16) without buffering items as raw JSON: an item that is
/// not an object is consumed and reported as [`Item::Bad`].
#[derive(Debug)]
pub(crate) enum Item<T> {
    /// The object, deserialized.
    Ok(T),
    /// Not an object (the JSON type is named).
    Bad(&'static str),
}

/// An element of a batch array that yields its item, or why it is unusable.
///
/// Implemented by [`Item`] (the typed single pass) and by `&RawValue` (the isolating slow path,
/// which parses each element on its own), so one loop serves both.
pub(crate) trait BatchItem<T> {
    /// The item, or the reason it is skipped.
    fn into_item(self) -> Result<T, Reason>;
}

impl<T> BatchItem<T> for Item<T> {
    fn into_item(self) -> Result<T, Reason> {
        match self {
            Item::Ok(t) => Ok(t),
            Item::Bad(kind) => Err(Reason::NotAnObject(kind)),
        }
    }
}

impl<'a, T: Deserialize<'a>> BatchItem<T> for &'a serde_json::value::RawValue {
    fn into_item(self) -> Result<T, Reason> {
        serde_json::from_str(self.get()).map_err(Reason::from)
    }
}

struct ItemVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ItemVisitor<T> {
    type Value = Item<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Item<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(m)).map(Item::Ok)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Item<T>, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Item::Bad("an array"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Item<T>, E> {
        Ok(Item::Bad("a string"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Item<T>, E> {
        Ok(Item::Bad("a number"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Item<T>, E> {
        Ok(Item::Bad("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Item<T>, E> {
        Ok(Item::Bad("a number"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Item<T>, E> {
        Ok(Item::Bad("a boolean"))
    }
    fn visit_unit<E>(self) -> Result<Item<T>, E> {
        Ok(Item::Bad("null"))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor(std::marker::PhantomData))
    }
}

/// Parses an optional numeric field as a finite value; a present but invalid field is an error.
pub(crate) fn opt_finite(
    v: &Option<Scalar<'_>>,
    field: &'static str,
) -> Result<Option<f64>, Reason> {
    match v {
        None => Ok(None),
        Some(Scalar::Str(s)) if s.is_empty() => Ok(None),
        Some(n) => n.finite(field).map(Some),
    }
}

/// Requires a numeric field to be present, finite and positive.
pub(crate) fn req_positive(v: &Option<Scalar<'_>>, field: &'static str) -> Result<f64, Reason> {
    v.as_ref().ok_or(Reason::Missing(field))?.positive(field)
}

pub(crate) fn truncate(s: &str) -> String {
    let mut end = s.len().min(40);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

struct ScalarVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ScalarVisitor<'a> {
    type Value = Scalar<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a numeric string")
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Text(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Text(Cow::Owned(v.to_owned()))))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other("a boolean"))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other("null"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an array"))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor(std::marker::PhantomData))
    }
}

/// A millisecond timestamp: integer, integral float, or a string of digits (F14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ms {
    /// A valid positive millisecond time.
    Valid(i64),
    /// Present but unusable (zero, negative, not an integer, wrong type).
    Invalid,
}

impl Ms {
    /// The value when valid.
    pub(crate) fn get(opt: Option<Ms>) -> Option<i64> {
        match opt {
            Some(Ms::Valid(v)) => Some(v),
            _ => None,
        }
    }

    fn from_i64(v: i64) -> Ms {
        if v > 0 { Ms::Valid(v) } else { Ms::Invalid }
    }
}

struct MsVisitor;

impl<'de> Visitor<'de> for MsVisitor {
    type Value = Ms;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a millisecond timestamp")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Ms, E> {
        Ok(Ms::from_i64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Ms, E> {
        Ok(i64::try_from(v).map_or(Ms::Invalid, Ms::from_i64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Ms, E> {
        if v.is_finite() && v.fract() == 0.0 && v > 0.0 && v < 9.0e15 {
            Ok(Ms::Valid(v as i64))
        } else {
            Ok(Ms::Invalid)
        }
    }
    fn visit_str<E>(self, v: &str) -> Result<Ms, E> {
        Ok(v.parse::<i64>().map_or(Ms::Invalid, Ms::from_i64))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Ms, E> {
        Ok(Ms::Invalid)
    }
    fn visit_unit<E>(self) -> Result<Ms, E> {
        Ok(Ms::Invalid)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ms, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Ms::Invalid)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Ms, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Ms::Invalid)
    }
}

impl<'de> Deserialize<'de> for Ms {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MsVisitor)
    }
}

/// An integer sequence field (update ids, checksums): integer or numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeqNum(pub(crate) i64);

struct SeqVisitor;

impl<'de> Visitor<'de> for SeqVisitor {
    type Value = SeqNum;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E>(self, v: i64) -> Result<SeqNum, E> {
        Ok(SeqNum(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<SeqNum, E> {
        i64::try_from(v)
            .map(SeqNum)
            .map_err(|_| E::custom("sequence number out of range"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SeqNum, E> {
        v.parse::<i64>()
            .map(SeqNum)
            .map_err(|_| E::custom(format!("invalid sequence number {:?}", truncate(v))))
    }
}

impl<'de> Deserialize<'de> for SeqNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SeqVisitor)
    }
}

/// Order-book levels `[[price, size, ...], ...]`, parsed exactly into decimals.
///
/// Extra elements of a level (OKX's deprecated and order-count fields) are ignored. A level that
/// is not a pair of numbers, or a negative size, fails the message.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Levels(pub(crate) Vec<Level>);

struct DecVisitor;

impl Visitor<'_> for DecVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        Decimal::from_str(v).map_err(|_| E::custom(format!("invalid decimal {:?}", truncate(v))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Decimal::try_from(v).map_err(|_| E::custom(format!("invalid decimal {v}")))
    }
}

struct Dec(Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecVisitor).map(Dec)
    }
}

struct LevelVisitor;

impl<'de> Visitor<'de> for LevelVisitor {
    type Value = Level;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [price, size] level")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Level, A::Error> {
        let price: Dec = s
            .next_element()?
            .ok_or_else(|| de::Error::custom("level without price"))?;
        let size: Dec = s
            .next_element()?
            .ok_or_else(|| de::Error::custom("level without size"))?;
        while s.next_element::<IgnoredAny>()?.is_some() {}
        if price.0.is_sign_negative() || size.0.is_sign_negative() {
            return Err(de::Error::custom("negative price or size in a level"));
        }
        Ok(Level {
            price: price.0,
            size: size.0,
        })
    }
}

struct OneLevel(Level);

impl<'de> Deserialize<'de> for OneLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(LevelVisitor).map(OneLevel)
    }
}

struct LevelsVisitor;

impl<'de> Visitor<'de> for LevelsVisitor {
    type Value = Levels;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of levels")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Levels, A::Error> {
        let mut v = Vec::with_capacity(s.size_hint().unwrap_or(0).min(1024));
        while let Some(OneLevel(l)) = s.next_element()? {
            v.push(l);
        }
        Ok(Levels(v))
    }
}

impl<'de> Deserialize<'de> for Levels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(LevelsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_num_accepts_strings_and_numbers() {
        let v: Vec<Scalar<'_>> =
            serde_json::from_str(r#"["1.5", 2, 3.25, null, {"a":1}, "x"]"#).unwrap();
        assert_eq!(v[0].positive("p").unwrap(), 1.5);
        assert_eq!(v[1].positive("p").unwrap(), 2.0);
        assert_eq!(v[2].positive("p").unwrap(), 3.25);
        assert!(v[3].positive("p").is_err());
        assert!(v[4].positive("p").is_err());
        assert!(v[5].positive("p").is_err());
        let nan: Scalar<'_> = serde_json::from_str(r#""nan""#).unwrap();
        assert!(matches!(nan.positive("p"), Err(Reason::NotPositive { .. })));
    }

    #[test]
    fn ms_accepts_int_and_digit_strings_only() {
        let v: Vec<Ms> =
            serde_json::from_str(r#"[1706607141085, "1706607168920", "abc", 0, 1.5, true, []]"#)
                .unwrap();
        assert_eq!(v[0], Ms::Valid(1706607141085));
        assert_eq!(v[1], Ms::Valid(1706607168920));
        assert!(v[2..].iter().all(|m| *m == Ms::Invalid));
    }

    #[test]
    fn levels_parse_exactly_and_ignore_extra_fields() {
        let l: Levels =
            serde_json::from_str(r#"[["43394","228","0","9"],["0.10","0.00000000"]]"#).unwrap();
        assert_eq!(l.0[0].price, Decimal::from(43394));
        assert_eq!(l.0[1].price.to_string(), "0.10");
        assert!(l.0[1].size.is_zero());
        assert!(serde_json::from_str::<Levels>(r#"[["1"]]"#).is_err());
        assert!(serde_json::from_str::<Levels>(r#"[["1","-2"]]"#).is_err());
        assert!(serde_json::from_str::<Levels>(r#"[["nan","2"]]"#).is_err());
    }
}
