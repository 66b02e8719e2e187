//! Who is on the other end of a request: client address and user agent, for audit and throttling.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::startup::AppState;

#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub addr: String,
    pub user_agent: Option<String>,
}

/// User agents are kept for the record, but not without bound.
const MAX_USER_AGENT: usize = 512;

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> ClientInfo {
        let trust_proxy = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.trust_proxy_headers);
        let forwarded = trust_proxy
            .then(|| {
                // The right-most address is the one our own proxy saw; anything left of it is
                // whatever the client claimed.
                req.headers()
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.rsplit(',').next())
                    .map(str::trim)
                    .and_then(|v| v.parse::<std::net::IpAddr>().ok())
            })
            .flatten();
        let addr = forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".to_string());
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
        ClientInfo { addr, user_agent }
    }
}

impl FromRequest for ClientInfo {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientInfo::of(req)))
    }
}
