//! Canonical JSON: the one text form of event details that is hashed
//! (ARCHITECTURE.md, "Custody encoding", rule 8).

use serde_json::Value;

use super::{CustodyError, Result};

/// Canonical JSON text of `v`: object keys sorted by their UTF-8 bytes, no
/// insignificant whitespace, strings escaped minimally (`"` `\` and control
/// characters only; `\u00XX` lowercase hex except `\b \f \n \r \t`), integers
/// in shortest decimal form. Floats are refused: their text form is not
/// portable across implementations, and the catalog stores decimals as strings.
pub fn canonical_json(v: &Value) -> Result<String> {
    let mut out = String::new();
    write_canonical(v, &mut out)?;
    Ok(out)
}

fn write_canonical(v: &Value, out: &mut String) -> Result<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                return Err(CustodyError::Canonical(format!(
                    "the number {n} is not an integer; store decimals as strings"
                )));
            }
        }
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                if let Some(val) = map.get(k) {
                    write_canonical(val, out)?;
                }
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_and_escapes() {
        let v = json!({"b": 1, "a": [true, null, "x\"\n\u{1}é"], "A": -5});
        assert_eq!(canonical_json(&v).unwrap(), r#"{"A":-5,"a":[true,null,"x\"\n\u0001é"],"b":1}"#);
        assert!(canonical_json(&json!({"x": 1.5})).is_err());
    }
}
