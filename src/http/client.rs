//! The client behind each request, decided once at the edge: the
//! connection's address, or what a trusted proxy says
//! (`proxy_trust`). Handlers and the request log read the `Client`
//! extension this layer puts on every request; nobody reads forwarding
//! headers themselves.

use crate::proxy_trust::Client;
use crate::state::AppState;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::IncomingStream;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The other end of a connection, and whether it is TLS.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    pub tls: bool,
}

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            tls: false,
        }
    }
}

/// A year, without subdomains: the owner's other names at home may not
/// speak HTTPS.
const HSTS: &str = "max-age=31536000";

/// Works out the `Client` for the request; on an answer sent over HTTPS,
/// adds `Strict-Transport-Security` so browsers keep to HTTPS.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<Peer>>().map(|c| c.0);
    let headers = req.headers();
    let forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .take(crate::proxy_trust::MAX_FORWARDED_HOPS)
        .collect();
    let forwarded_proto = headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .next_back();
    let client = state.config.server.trusted_proxies.client(
        peer.map(|p| p.addr.ip()),
        peer.is_some_and(|p| p.tls),
        &forwarded_for,
        forwarded_proto,
    );
    req.extensions_mut().insert(client);
    let mut res = next.run(req).await;
    if client.https && state.urls.https() {
        res.headers_mut()
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(HSTS));
    }
    res
}

/// The client of a request that went through `identify` (an unknown
/// address otherwise).
pub fn of(req: &Request) -> Client {
    req.extensions().get::<Client>().copied().unwrap_or(Client {
        addr: None,
        https: false,
    })
}
