//! `/audit`: the current head and the last recorded audit (GET), and a full
//! audit run with `Catalog::audit` and the options `evcat audit` uses by
//! default (POST: a clean audit appends a signed `verified` event by the
//! serving actor, so it is a change and `--read-only` refuses it).

use axum::extract::{Form, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::layout;
use super::{auth, WebResult};
use crate::audit::{AuditOptions, AuditReport};
use crate::catalog::log;
use crate::custody::Head;
use crate::custody::SealedEvent;

fn head_markup(head: Option<&Head>) -> Markup {
    html! {
        p { "Head of the custody log: "
            @match head { Some(h) => code #head { (h) }, None => "(empty log)" } }
    }
}

fn last_markup(last: Option<&SealedEvent>) -> Markup {
    html! {
        @match last {
            Some(e) => p #last-audit { "Last recorded audit: event #" (e.event.seq) " at " (e.event.at) " by " (e.event.actor)
                ", clean (" (e.event.details.get("scope").and_then(|v| v.as_str()).unwrap_or("full")) ")" },
            None => p #last-audit { "No audit recorded yet." },
        }
    }
}

fn run_form(csrf: &str) -> Markup {
    html! {
        form #run-audit method="post" action="/audit" {
            input type="hidden" name="csrf" value=(csrf);
            button #run { "Run audit" }
            span.hint { " (re-hashes every object, replays and verifies the whole log; may take a while on a big catalog)" }
        }
    }
}

pub(crate) async fn audit_page(State(state): State<super::State>) -> WebResult<Html<String>> {
    let (head, last) = {
        let cat = state.catalog();
        (log::head(&cat)?, cat.last_audit()?)
    };
    Ok(layout(
        "Audit",
        html! { (head_markup(head.as_ref())) (last_markup(last.as_ref())) (run_form(&state.auth.csrf)) },
    ))
}

fn report_markup(r: &AuditReport) -> Markup {
    let c = &r.checked;
    html! {
        section #report class=(if r.clean { "clean" } else { "failed" }) {
            @if r.clean { p.verdict { "Audit clean." } } @else { p.verdict { "Audit FAILED: " (r.problems.len()) " problem(s)." } }
            p { "Checked " (c.objects) " objects, " (c.in_place_files) " in-place files (" (c.bytes) " bytes), "
                (c.derived_objects) " derived objects, " (c.events) " events, " (c.records) " records in "
                (format!("{:.2}", r.seconds)) " s." }
            @if !r.problems.is_empty() {
                table.problems { tr { th { "check" } th { "record" } th { "problem" } }
                    @for p in &r.problems { tr { td { (p.check) } td { (p.record) } td { (p.message) } } } }
            }
            @if !r.timestamps.is_empty() {
                h2 { "Time-stamps" }
                ul { @for t in &r.timestamps { li {
                    "#" (t.seq) " " (t.kind) " of " (t.stamped)
                    @if let Some(a) = &t.attested { ": " (a) }
                    @if !t.problems.is_empty() { " — " (t.problems.len()) " problem(s)" }
                } } }
            }
            @if let Some(seq) = r.recorded_as { p #recorded { "Recorded as event #" (seq) "." } }
            @if let Some(why) = &r.not_recorded_because { p.warn { "Not recorded in the log: " (why) } }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RunForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn run_audit(State(state): State<super::State>, Form(f): Form<RunForm>) -> WebResult<Response> {
    if !auth::csrf_ok(&state, &f.csrf) {
        return Ok(auth::csrf_refused());
    }
    let (report, last) = {
        let mut cat = state.catalog();
        let report = cat.audit(&AuditOptions::default())?;
        (report, cat.last_audit()?)
    };
    Ok(layout(
        "Audit",
        html! {
            (report_markup(&report))
            (head_markup(report.head.as_ref()))
            (last_markup(last.as_ref()))
            (run_form(&state.auth.csrf))
        },
    )
    .into_response())
}
