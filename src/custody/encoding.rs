//! The byte encoding of an event (version [`ENCODING_VERSION`]) and its
//! strict decoder: `encode(decode(b)) == b` for every accepted `b`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical::canonical_json;
use super::{CustodyError, Event, Result, ENCODING_VERSION, MAGIC, MAX_ENCODED_LEN};

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    let len = u32::try_from(s.len())
        .map_err(|_| CustodyError::Canonical(format!("a string of {} bytes is too long", s.len())))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) -> Result<()> {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s)?;
        }
    }
    Ok(())
}

/// The canonical byte encoding of `e` (version [`ENCODING_VERSION`]), ending
/// with `prev_hash`. Its SHA-256 is the event's chain hash.
pub fn encode(e: &Event) -> Result<Vec<u8>> {
    let details = canonical_json(&e.details)?;
    let mut out = Vec::with_capacity(128 + details.len() + e.at.len() + e.host.len());
    out.extend_from_slice(MAGIC);
    out.push(ENCODING_VERSION);
    out.extend_from_slice(&e.seq.to_be_bytes());
    put_str(&mut out, &e.subject_type)?;
    match e.subject_id {
        None => out.push(0),
        Some(id) => {
            out.push(1);
            out.extend_from_slice(&id.to_be_bytes());
        }
    }
    put_str(&mut out, &e.action)?;
    put_str(&mut out, &e.actor)?;
    put_str(&mut out, &e.at)?;
    put_str(&mut out, &e.host)?;
    put_opt_str(&mut out, e.location.as_deref())?;
    put_opt_str(&mut out, e.reason.as_deref())?;
    put_str(&mut out, &details)?;
    out.extend_from_slice(&e.prev_hash);
    Ok(out)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn fail<T>(&self, reason: impl Into<String>) -> Result<T> {
        Err(CustodyError::Decode { offset: self.pos, reason: reason.into() })
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.pos.checked_add(n).and_then(|end| self.buf.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => self.fail(format!("truncated {what}: need {n} bytes, {} left", self.buf.len() - self.pos)),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let len = u32::from_be_bytes(self.array::<4>(what)?) as usize;
        let start = self.pos;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| CustodyError::Decode { offset: start, reason: format!("{what} is not UTF-8") })
    }

    fn flag(&mut self, what: &str) -> Result<bool> {
        match self.array::<1>(what)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => {
                self.pos -= 1;
                self.fail(format!("presence byte of {what} is {b}, expected 0 or 1"))
            }
        }
    }

    fn opt_string(&mut self, what: &str) -> Result<Option<String>> {
        if self.flag(what)? {
            Ok(Some(self.string(what)?))
        } else {
            Ok(None)
        }
    }
}

/// Parse an encoded event. Strict: the details must be canonical JSON and no
/// byte may follow `prev_hash`, so `encode(decode(b)) == b` for every accepted `b`.
pub fn decode(bytes: &[u8]) -> Result<Event> {
    let mut r = Reader { buf: bytes, pos: 0 };
    if bytes.len() > MAX_ENCODED_LEN {
        return r.fail(format!("{} bytes exceeds the {MAX_ENCODED_LEN}-byte limit", bytes.len()));
    }
    if r.take(MAGIC.len(), "magic")? != MAGIC {
        return Err(CustodyError::Decode { offset: 0, reason: "missing \"evcat-event\" magic".into() });
    }
    let version = r.array::<1>("version")?[0];
    if version != ENCODING_VERSION {
        r.pos -= 1;
        return r.fail(format!("unsupported encoding version {version}"));
    }
    let seq = u64::from_be_bytes(r.array::<8>("seq")?);
    let subject_type = r.string("subject_type")?;
    let subject_id = if r.flag("subject_id")? { Some(i64::from_be_bytes(r.array::<8>("subject_id")?)) } else { None };
    let action = r.string("action")?;
    let actor = r.string("actor")?;
    let at = r.string("at")?;
    let host = r.string("host")?;
    let location = r.opt_string("location")?;
    let reason = r.opt_string("reason")?;
    let details_at = r.pos;
    let details_text = r.string("details")?;
    let details: Value = serde_json::from_str(&details_text)
        .map_err(|e| CustodyError::Decode { offset: details_at, reason: format!("details are not JSON: {e}") })?;
    if canonical_json(&details).ok().as_deref() != Some(details_text.as_str()) {
        return Err(CustodyError::Decode { offset: details_at, reason: "details are not canonical JSON".into() });
    }
    let prev_hash = r.array::<32>("prev_hash")?;
    if r.pos != bytes.len() {
        return r.fail(format!("{} trailing bytes", bytes.len() - r.pos));
    }
    Ok(Event { seq, subject_type, subject_id, action, actor, at, host, location, reason, details, prev_hash })
}

/// `SHA-256(encode(e))`.
pub fn event_hash(e: &Event) -> Result<[u8; 32]> {
    Ok(Sha256::digest(encode(e)?).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        (
            any::<u64>(),
            ".{0,10}",
            any::<Option<i64>>(),
            ".{0,10}",
            (".{0,10}", ".{0,30}", ".{0,10}"),
            (any::<Option<String>>(), any::<Option<String>>()),
            arb_json(),
            any::<[u8; 32]>(),
        )
            .prop_map(|(seq, st, sid, action, (actor, at, host), (location, reason), details, prev_hash)| {
                Event {
                    seq,
                    subject_type: st,
                    subject_id: sid,
                    action,
                    actor,
                    at,
                    host,
                    location,
                    reason,
                    details,
                    prev_hash,
                }
            })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(e in arb_event()) {
            let bytes = encode(&e).unwrap();
            prop_assert_eq!(decode(&bytes).unwrap(), e);
        }

        #[test]
        fn any_single_byte_change_changes_the_hash_or_fails_to_decode(
            e in arb_event(), pos in any::<prop::sample::Index>(), flip in 1u8..=255
        ) {
            let bytes = encode(&e).unwrap();
            let mut bad = bytes.clone();
            let i = pos.index(bad.len());
            bad[i] ^= flip;
            prop_assert_ne!(Sha256::digest(&bad), Sha256::digest(&bytes));
            if let Ok(d) = decode(&bad) {
                prop_assert_ne!(d, e);
            }
        }

        #[test]
        fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
            let mut prefixed = b"evcat-event\x01".to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = decode(&prefixed);
        }
    }
}
