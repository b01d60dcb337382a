//! `evcat serve`: a local web interface over one catalog (the review desk).
//!
//! Security model (see ARCHITECTURE.md): loopback by default; every request
//! must carry the session cookie, which is only handed out in exchange for the
//! one-time token printed at start-up; every POST carries the CSRF token that
//! the pages embed; responses carry a strict CSP; all text goes through `maud`
//! (escaped at compile time); objects are served only by SHA-256. Handlers
//! call the same library functions as the CLI, so every change is a signed
//! custody event by the serving actor, with the library's validation.

mod acquire_page;
mod audit_page;
mod auth;
mod files;
mod objects;
mod pages;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::catalog::Catalog;
use crate::error::{Error, Result};

/// Largest request body accepted by every route but the upload (forms: a
/// claim span, a status, a link). Anything bigger is refused with 413.
pub const MAX_BODY_BYTES: usize = 64 << 10;

/// Default cap on one upload (`POST /acquire/N`), the only route allowed more
/// than [`MAX_BODY_BYTES`]: bigger files are registered with `evcat add`.
pub const MAX_UPLOAD_BYTES: u64 = 4 << 30;

/// How `evcat serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub read_only: bool,
    /// Largest upload accepted, in bytes ([`MAX_UPLOAD_BYTES`] by default).
    pub max_upload: u64,
}

/// What every handler shares: the catalog (one connection, so one lock) and
/// the session secrets.
pub(crate) struct AppState {
    catalog: Mutex<Catalog>,
    auth: auth::Secrets,
    read_only: bool,
    max_upload: u64,
}

impl AppState {
    /// A poisoned lock means a handler panicked mid-request; the catalog's own
    /// transaction was rolled back, so the connection is still consistent.
    fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.catalog.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) type State = Arc<AppState>;

/// A library error shown as an HTTP response: the library's own message, with
/// a status that says whose fault it was.
pub(crate) struct WebError(Error);

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        WebError(e)
    }
}

impl WebError {
    fn status(&self) -> StatusCode {
        match &self.0 {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::InvalidInput { .. } | Error::AmbiguousPrefix { .. } => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        pages::message(self.status(), "Error", &self.0.to_string())
    }
}

pub(crate) type WebResult<T> = std::result::Result<T, WebError>;

fn router(state: State) -> Router {
    Router::new()
        .route("/", get(pages::articles))
        .route("/articles/{id}", get(pages::article))
        .route("/articles/{id}/claims", post(pages::mark_claim))
        .route("/claims/{id}/status", post(pages::claim_status))
        .route("/worklist", get(pages::worklist))
        .route("/search", get(pages::search))
        .route("/files", get(files::gallery))
        .route("/files/{id}", get(files::file_page))
        .route("/links", post(files::add_link))
        .route("/audit", get(audit_page::audit_page).post(audit_page::run_audit))
        .route("/acquire", get(acquire_page::todo))
        .route(
            "/acquire/{id}",
            // The inner limit wins over the router-wide one below, for this route only.
            post(acquire_page::upload)
                .layer(DefaultBodyLimit::max(usize::try_from(state.max_upload).unwrap_or(usize::MAX))),
        )
        .route("/objects/{sha}", get(objects::object))
        .route("/static/app.js", get(pages::app_js))
        .route("/static/app.css", get(pages::app_css))
        .fallback(|| async { pages::message(StatusCode::NOT_FOUND, "Not found", "No such page.") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serve the catalog until SIGTERM or Ctrl-C. `ready` gets the bound address
/// and the one-time token (the CLI prints them) before requests are accepted.
pub fn serve(catalog: Catalog, opts: &ServeOptions, ready: impl FnOnce(SocketAddr, &str)) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the web server runtime for", "evcat serve", e))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| Error::io("listening on", opts.listen.to_string(), e))?;
        let addr =
            listener.local_addr().map_err(|e| Error::io("reading the address of", opts.listen.to_string(), e))?;
        let auth = auth::Secrets::new(addr)?;
        ready(addr, &auth.one_time_token());
        let state = Arc::new(AppState {
            catalog: Mutex::new(catalog),
            auth,
            read_only: opts.read_only,
            max_upload: opts.max_upload,
        });
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Error::io("serving on", addr.to_string(), e))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, wait on SIGTERM alone.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
