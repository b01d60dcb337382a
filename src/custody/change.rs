//! The row changes custody events carry (ARCHITECTURE.md, invariant 1).
//!
//! The write path turns every insert, update and delete of a logged row into
//! a [`RowChange`] and stores it in the event's details; [`super::replay`]
//! reads them back. The JSON shapes are part of the log's format:
//!
//! ```text
//! Created   {"row": {COLUMN: VALUE, ...}, EXTRA...}
//! Changed   {"changes": {COLUMN: {"before": V, "after": V}, ...}, EXTRA...}
//! Removed   {"removed": true, "before": {COLUMN: VALUE, ...}, EXTRA...}
//! ```
//!
//! `EXTRA` are other members an action adds (`origin` for imports, `how` for
//! derivations); they never use the three keys above.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// A row's snapshot: column name -> JSON value (see `catalog::snapshot`).
pub type Row = Map<String, Value>;

/// One field's old and new value.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub before: Value,
    pub after: Value,
}

/// What one event did to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    /// The row was inserted with these values.
    Created { row: Row },
    /// These fields changed, and only these.
    Changed { changes: BTreeMap<String, FieldChange> },
    /// The row was deleted; its last values.
    Removed { before: Row },
}

impl RowChange {
    /// The change between two snapshots of a row over `fields`; `None` when
    /// no field differs (nothing to log).
    pub fn diff<'f>(before: &Row, after: &Row, fields: impl IntoIterator<Item = &'f str>) -> Option<RowChange> {
        let mut changes = BTreeMap::new();
        for f in fields {
            let b = before.get(f).cloned().unwrap_or(Value::Null);
            let a = after.get(f).cloned().unwrap_or(Value::Null);
            if a != b {
                changes.insert(f.to_string(), FieldChange { before: b, after: a });
            }
        }
        (!changes.is_empty()).then_some(RowChange::Changed { changes })
    }

    /// The event details carrying this change, plus the members of `extra`
    /// (an object, or null for none).
    pub fn into_details(self, extra: Value) -> Value {
        let mut d = match self {
            RowChange::Created { row } => json!({ "row": row }),
            RowChange::Changed { changes } => {
                let changes: Map<String, Value> =
                    changes.into_iter().map(|(k, c)| (k, json!({ "before": c.before, "after": c.after }))).collect();
                json!({ "changes": changes })
            }
            RowChange::Removed { before } => json!({ "removed": true, "before": before }),
        };
        if let (Value::Object(d), Value::Object(e)) = (&mut d, extra) {
            for (k, v) in e {
                if !matches!(k.as_str(), "row" | "changes" | "removed" | "before") {
                    d.insert(k, v);
                }
            }
        }
        d
    }

    /// The change an event's details carry: `Ok(None)` for events that
    /// change no row (transfers, notes, audits), `Err` with the reason for
    /// details that look like a change but are malformed.
    pub fn from_details(details: &Value) -> Result<Option<RowChange>, String> {
        if let Some(row) = details.get("row") {
            let row = row.as_object().ok_or("\"row\" is not an object")?;
            return Ok(Some(RowChange::Created { row: row.clone() }));
        }
        if let Some(changes) = details.get("changes") {
            let changes = changes.as_object().ok_or("\"changes\" is not an object")?;
            let mut out = BTreeMap::new();
            for (field, ba) in changes {
                let (Some(before), Some(after)) = (ba.get("before"), ba.get("after")) else {
                    return Err(format!("the change of {field:?} lacks \"before\" or \"after\""));
                };
                out.insert(field.clone(), FieldChange { before: before.clone(), after: after.clone() });
            }
            return Ok(Some(RowChange::Changed { changes: out }));
        }
        match details.get("removed") {
            None | Some(Value::Bool(false)) => Ok(None),
            Some(Value::Bool(true)) => match details.get("before") {
                Some(Value::Object(before)) => Ok(Some(RowChange::Removed { before: before.clone() })),
                _ => Err("a removal without the row's \"before\" values".into()),
            },
            Some(other) => Err(format!("\"removed\" is {other}, not true")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: Value) -> Row {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn details_round_trip_in_the_logged_shapes() {
        let created = RowChange::Created { row: row(json!({"title": "a", "n": 1})) };
        let d = created.clone().into_details(json!({"origin": {"id": "E3"}}));
        assert_eq!(d, json!({"row": {"title": "a", "n": 1}, "origin": {"id": "E3"}}));
        assert_eq!(RowChange::from_details(&d).unwrap(), Some(created));

        let changed = RowChange::diff(&row(json!({"a": 1, "b": 2})), &row(json!({"a": 1, "b": 3})), ["a", "b"])
            .expect("b changed");
        let d = changed.clone().into_details(Value::Null);
        assert_eq!(d, json!({"changes": {"b": {"before": 2, "after": 3}}}));
        assert_eq!(RowChange::from_details(&d).unwrap(), Some(changed));

        let removed = RowChange::Removed { before: row(json!({"a": 1})) };
        let d = removed.clone().into_details(Value::Null);
        assert_eq!(d, json!({"removed": true, "before": {"a": 1}}));
        assert_eq!(RowChange::from_details(&d).unwrap(), Some(removed));
    }

    #[test]
    fn no_change_and_malformed_changes() {
        assert_eq!(RowChange::diff(&row(json!({"a": 1})), &row(json!({"a": 1})), ["a"]), None);
        assert_eq!(RowChange::from_details(&json!({"from": "a", "to": "b"})).unwrap(), None);
        assert_eq!(RowChange::from_details(&Value::Null).unwrap(), None);
        assert!(RowChange::from_details(&json!({"row": 3})).is_err());
        assert!(RowChange::from_details(&json!({"changes": {"a": {"after": 1}}})).is_err());
        assert!(RowChange::from_details(&json!({"removed": true})).is_err());
        assert!(RowChange::from_details(&json!({"removed": "yes", "before": {}})).is_err());
        // Extra members never overwrite the change itself.
        let d = RowChange::Removed { before: Row::new() }.into_details(json!({"removed": false, "why": 1}));
        assert_eq!(d, json!({"removed": true, "before": {}, "why": 1}));
    }
}
