//! `evcat serve`: thin wrapper over `evcat::serve`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Args;

use evcat::serve::{serve, ServeOptions};
use evcat::Result;

use super::Ctx;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TCP port (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8717)]
    pub port: u16,
    /// Address to listen on; anything but loopback prints a warning (the token is always required).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// Refuse every change (403), for reading and handing over.
    #[arg(long)]
    pub read_only: bool,
    /// Largest upload accepted on the acquisition page, in bytes (a test knob;
    /// the default is 4 GiB, bigger files are registered with `evcat add`).
    #[arg(long, hide = true, env = "EVCAT_SERVE_MAX_UPLOAD", value_name = "BYTES")]
    pub max_upload_bytes: Option<u64>,
}

pub fn serve_cmd(ctx: &Ctx, a: ServeArgs) -> Result<u8> {
    let cat = ctx.open()?;
    if !a.listen.is_loopback() {
        eprintln!(
            "evcat: warning: listening on {} makes the catalog reachable from other machines; \
             anyone with the printed token can {}",
            a.listen,
            if a.read_only { "read it" } else { "change it" }
        );
    }
    let opts = ServeOptions {
        listen: SocketAddr::new(a.listen, a.port),
        read_only: a.read_only,
        max_upload: a.max_upload_bytes.unwrap_or(evcat::serve::MAX_UPLOAD_BYTES),
    };
    let json = ctx.out.json;
    serve(cat, &opts, |addr, token| {
        let shown = if addr.ip().is_unspecified() {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        } else {
            addr
        };
        let url = format!("http://{shown}/?token={token}");
        // Printed before the first request is accepted; a test or script reads this
        // line. Write errors (a closed pipe) are ignored: they must not stop the server.
        let mut out = std::io::stdout();
        let _ = if json {
            writeln!(
                out,
                "{}",
                serde_json::json!({ "url": url, "listen": addr.to_string(), "read_only": opts.read_only })
            )
        } else {
            writeln!(out, "evcat serve: open {url}\n(the token works once; stop with Ctrl-C)")
        };
        let _ = out.flush();
    })?;
    Ok(0)
}
