//! Bearer tokens for `/api/v1`: the only way to authenticate there (no cookies, so no CSRF).

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::api_tokens;
use crate::db::users::User;
use crate::domain::secret::{looks_like_token, random_token, secret_hash};
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;

/// Tokens carry a prefix so they are recognisable in secret scanners and config files.
pub const PREFIX: &str = "bote_";

/// The account behind a valid bearer token.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub user: User,
    pub token_id: String,
}

/// Makes a new token and returns it; only its hash is stored (`bote token create`).
pub async fn issue(state_db: &crate::db::Db, user: &User, name: &str) -> anyhow::Result<String> {
    issue_as(state_db, user, name, Actor::System, None).await
}

/// Makes a new token for `user`, recorded with who asked for it (the account itself on its
/// tokens page, or the command line).
pub async fn issue_as(
    db: &crate::db::Db,
    user: &User,
    name: &str,
    actor: Actor,
    client: Option<&ClientInfo>,
) -> anyhow::Result<String> {
    let token = format!("{PREFIX}{}", random_token());
    let id = api_tokens::create(db, &user.id, name, &secret_hash(&token)).await?;
    let mut e = AuditEvent::new("token.created", Outcome::Success, actor)
        .tenant(user.tenant_id.as_deref())
        .detail("token_id", id)
        .detail("token_name", name)
        .detail("user", user.email.clone());
    if let Some(c) = client {
        e = e.client(c);
    }
    audit::record(db, e).await?;
    Ok(token)
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Middleware for `/api/v1`: the token is checked before anything else reads the request. A
/// handler's extractors run side by side, so a body extractor could otherwise answer 400 for a
/// malformed body before the token was checked, and actix would drop the check (and the record
/// of the refused token) halfway.
pub async fn check_first<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match authenticate(req.request()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let checked = req.extensions().get::<ApiCaller>().cloned();
            match checked {
                Some(caller) => Ok(caller),
                None => authenticate(&req).await,
            }
        })
    }
}

/// The account behind the request's bearer token; a missing or unknown token is refused and
/// recorded.
async fn authenticate(req: &HttpRequest) -> Result<ApiCaller, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(AppError::Unauthorized)?;
    let token = bearer(req).unwrap_or_default();
    let well_formed = token.strip_prefix(PREFIX).is_some_and(looks_like_token);
    let owner = if well_formed {
        api_tokens::find_owner(&state.db, &secret_hash(token)).await?
    } else {
        None
    };
    let Some(owner) = owner else {
        audit::record_or_log(
            &state.db,
            AuditEvent::new("token.used", Outcome::Refused, Actor::External)
                .client(&ClientInfo::of(req))
                .reason(if token.is_empty() {
                    "no bearer token"
                } else {
                    "unknown, revoked or disabled token"
                })
                .detail("route", req.match_pattern().unwrap_or_default()),
        )
        .await;
        return Err(AppError::Unauthorized);
    };
    api_tokens::mark_used(&state.db, &owner.token_id).await?;
    Ok(ApiCaller {
        user: owner.user,
        token_id: owner.token_id,
    })
}
