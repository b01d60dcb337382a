//! The one replay of the log into rows (ARCHITECTURE.md, invariant 2: the
//! rows are derivable from the log).
//!
//! `audit` replays the catalog's whole log and compares the result with the
//! tables; bag verification replays a bag's events and compares them with the
//! bag's metadata; an importer can replay what it is about to merge. All of
//! them use [`Replay`], so they agree on what a log means and on what is
//! wrong with it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::change::{Row, RowChange};
use super::Event;
use crate::ids::{RecordKind, Subject};

/// What the log says about one record.
#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    /// Created (and perhaps changed since): its current values.
    Live(Row),
    /// Created, then removed.
    Removed,
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplayProblemKind {
    /// A change or removal of a record the log never created (or that it
    /// had already removed).
    ChangeBeforeCreation,
    /// A creation of a record that the log already holds, live.
    CreatedTwice,
    /// Details that look like a row change but are not well formed.
    MalformedChange,
}

impl fmt::Display for ReplayProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplayProblemKind::ChangeBeforeCreation => "change-before-creation",
            ReplayProblemKind::CreatedTwice => "created-twice",
            ReplayProblemKind::MalformedChange => "malformed-change",
        })
    }
}

/// An event the replay could not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayProblem {
    pub seq: u64,
    pub subject: Subject,
    pub kind: ReplayProblemKind,
    pub message: String,
}

/// How a row compares with the replay of its events.
#[derive(Debug, Clone, PartialEq)]
pub enum RowCheck {
    Matches,
    /// No event created it.
    NotInLog,
    /// The log says it was removed.
    RemovedInLog,
    /// Field -> (the log's value, the row's value), for each field that differs.
    Differs(BTreeMap<String, (Value, Value)>),
}

/// The state of every record the log has touched, built event by event.
#[derive(Debug, Default)]
pub struct Replay {
    rows: HashMap<(RecordKind, i64), RowState>,
    problems: Vec<ReplayProblem>,
}

impl Replay {
    pub fn new() -> Replay {
        Replay::default()
    }

    /// Apply the next event (events must come in `seq` order). Events about
    /// the catalog, or that change no row, leave the rows as they are.
    pub fn apply(&mut self, e: &Event) {
        let Some(subject) = Subject::from_parts(&e.subject_type, e.subject_id) else { return };
        let (Some(kind), Some(id)) = (subject.kind(), subject.id()) else { return };
        let change = match RowChange::from_details(&e.details) {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(why) => {
                return self.problem(
                    e.seq,
                    subject,
                    ReplayProblemKind::MalformedChange,
                    format!("event #{} on {subject} is not a well-formed row change: {why}", e.seq),
                )
            }
        };
        let key = (kind, id);
        match change {
            RowChange::Created { row } => {
                if matches!(self.rows.get(&key), Some(RowState::Live(_))) {
                    self.problem(
                        e.seq,
                        subject,
                        ReplayProblemKind::CreatedTwice,
                        format!("event #{} creates {subject}, which the log already holds", e.seq),
                    );
                }
                self.rows.insert(key, RowState::Live(row));
            }
            RowChange::Changed { changes } => match self.rows.get_mut(&key) {
                Some(RowState::Live(row)) => {
                    for (field, c) in changes {
                        row.insert(field, c.after);
                    }
                }
                _ => self.problem(
                    e.seq,
                    subject,
                    ReplayProblemKind::ChangeBeforeCreation,
                    format!("event #{} changes {subject} which the log never created", e.seq),
                ),
            },
            RowChange::Removed { .. } => match self.rows.get(&key) {
                Some(RowState::Live(_)) => {
                    self.rows.insert(key, RowState::Removed);
                }
                _ => self.problem(
                    e.seq,
                    subject,
                    ReplayProblemKind::ChangeBeforeCreation,
                    format!("event #{} removes {subject} which the log never created", e.seq),
                ),
            },
        }
    }

    fn problem(&mut self, seq: u64, subject: Subject, kind: ReplayProblemKind, message: String) {
        self.problems.push(ReplayProblem { seq, subject, kind, message });
    }

    /// What the log says about a record; `None` if no event touched it.
    pub fn state(&self, kind: RecordKind, id: i64) -> Option<&RowState> {
        self.rows.get(&(kind, id))
    }

    /// Compare a row as it is (in the catalog, in a bag's metadata) with
    /// what the log says it should be.
    pub fn check(&self, kind: RecordKind, id: i64, actual: &Row) -> RowCheck {
        match self.state(kind, id) {
            None => RowCheck::NotInLog,
            Some(RowState::Removed) => RowCheck::RemovedInLog,
            Some(RowState::Live(want)) if want == actual => RowCheck::Matches,
            Some(RowState::Live(want)) => {
                let mut fields = BTreeMap::new();
                for k in want.keys().chain(actual.keys()) {
                    let w = want.get(k).cloned().unwrap_or(Value::Null);
                    let a = actual.get(k).cloned().unwrap_or(Value::Null);
                    if w != a {
                        fields.insert(k.clone(), (w, a));
                    }
                }
                RowCheck::Differs(fields)
            }
        }
    }

    /// Records the log holds as live, in (kind, id) order.
    pub fn live(&self) -> Vec<(RecordKind, i64)> {
        let mut out: Vec<_> =
            self.rows.iter().filter(|(_, s)| matches!(s, RowState::Live(_))).map(|(k, _)| *k).collect();
        out.sort();
        out
    }

    /// The events that could not be applied, in the order met.
    pub fn problems(&self) -> &[ReplayProblem] {
        &self.problems
    }

    pub fn take_problems(&mut self) -> Vec<ReplayProblem> {
        std::mem::take(&mut self.problems)
    }
}

/// Replay `events` (in `seq` order) from an empty state.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Replay {
    let mut r = Replay::new();
    for e in events {
        r.apply(e);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(seq: u64, subject: Subject, details: Value) -> Event {
        let (t, id) = subject.parts();
        Event {
            seq,
            subject_type: t.into(),
            subject_id: id,
            action: "x".into(),
            actor: "a".into(),
            at: "t".into(),
            host: "h".into(),
            location: None,
            reason: None,
            details,
            prev_hash: [0; 32],
        }
    }

    fn row(v: Value) -> Row {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn creations_changes_and_removals_replay_to_the_rows() {
        use crate::ids::{EvidenceId, LinkId};
        let e1 = Subject::Evidence(EvidenceId(1));
        let l1 = Subject::Link(LinkId(1));
        let r = replay(&[
            ev(1, Subject::Catalog, json!({"catalog_id": "c"})),
            ev(2, e1, json!({"row": {"title": "a", "url": null}})),
            ev(3, e1, json!({"changes": {"url": {"before": null, "after": "https://x"}}})),
            ev(4, e1, json!({"from": "me", "to": "legal"})),
            ev(5, l1, json!({"row": {"claim_id": 1}})),
            ev(6, l1, json!({"removed": true, "before": {"claim_id": 1}})),
        ]);
        assert!(r.problems().is_empty(), "{:?}", r.problems());
        assert_eq!(
            r.check(RecordKind::Evidence, 1, &row(json!({"title": "a", "url": "https://x"}))),
            RowCheck::Matches
        );
        assert_eq!(r.check(RecordKind::Link, 1, &row(json!({"claim_id": 1}))), RowCheck::RemovedInLog);
        assert_eq!(r.check(RecordKind::File, 9, &row(json!({}))), RowCheck::NotInLog);
        match r.check(RecordKind::Evidence, 1, &row(json!({"title": "b", "url": "https://x"}))) {
            RowCheck::Differs(f) => assert_eq!(f.keys().collect::<Vec<_>>(), ["title"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.live(), vec![(RecordKind::Evidence, 1)]);
    }

    #[test]
    fn changes_to_records_never_created_are_named() {
        use crate::ids::EvidenceId;
        let e9 = Subject::Evidence(EvidenceId(9));
        let r = replay(&[
            ev(1, e9, json!({"changes": {"title": {"before": "a", "after": "b"}}})),
            ev(2, e9, json!({"row": {"title": "b"}})),
            ev(3, e9, json!({"row": {"title": "c"}})),
            ev(4, e9, json!({"removed": true, "before": {"title": "c"}})),
            ev(5, e9, json!({"removed": true, "before": {"title": "c"}})),
            ev(6, e9, json!({"changes": 7})),
        ]);
        let kinds: Vec<(u64, ReplayProblemKind)> = r.problems().iter().map(|p| (p.seq, p.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, ReplayProblemKind::ChangeBeforeCreation),
                (3, ReplayProblemKind::CreatedTwice),
                (5, ReplayProblemKind::ChangeBeforeCreation),
                (6, ReplayProblemKind::MalformedChange),
            ]
        );
        assert!(r.problems()[0].message.contains("E9"), "{}", r.problems()[0].message);
    }
}
