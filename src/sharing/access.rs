//! The one place that decides who may see a link: staff through their tenant and role, partners
//! through the public token. Everything else answers "not found".

use crate::db::links::{self, Link, PublicLink};
use crate::db::users::User;
use crate::db::Db;
use crate::domain::link::{LinkKind, LinkState};
use crate::domain::role::Role;
use crate::domain::secret::{looks_like_token, secret_hash};
use crate::domain::time::now_ms;

/// What a signed-in user may do with a link they can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAccess {
    /// The owner, or an admin of the tenant.
    Manage,
    /// An auditor of the tenant: details and history, no changes, no file contents.
    Read,
}

/// The link with this id if `user` may see it; `None` for other tenants' links, other staff's
/// links, operators and unknown ids alike.
pub async fn link_for_user(
    db: &Db,
    user: &User,
    link_id: &str,
) -> sqlx::Result<Option<(Link, LinkAccess)>> {
    let Some(tenant_id) = user.tenant_id.as_deref() else {
        return Ok(None);
    };
    if uuid::Uuid::parse_str(link_id).is_err() {
        return Ok(None);
    }
    let Some(link) = links::in_tenant(db, tenant_id, link_id).await? else {
        return Ok(None);
    };
    let access = match user.role() {
        Role::Admin => Some(LinkAccess::Manage),
        Role::Staff if link.owner_id == user.id => Some(LinkAccess::Manage),
        Role::Auditor => Some(LinkAccess::Read),
        _ => None,
    };
    Ok(access.map(|a| (link, a)))
}

/// The link with this id if `user` may change it (owner, or an admin of the tenant): not found
/// for links they cannot see, forbidden for links they may only read (auditors).
pub async fn link_to_manage(
    db: &Db,
    user: &User,
    link_id: &str,
) -> Result<Link, crate::error::AppError> {
    match link_for_user(db, user, link_id).await? {
        Some((link, LinkAccess::Manage)) => Ok(link),
        Some((_, LinkAccess::Read)) => Err(crate::error::AppError::Forbidden),
        None => Err(crate::error::AppError::NotFound),
    }
}

/// Why a public token leads nowhere (for the record only; every case looks the same outside).
pub type DeadReason = &'static str;

/// What a public token leads to right now.
pub enum PublicAccess {
    Live(PublicLink),
    /// Every dead end looks the same outside; the row (when there is one) and the reason are
    /// for the record only.
    Dead {
        link: Option<PublicLink>,
        reason: DeadReason,
    },
}

/// The link behind a public token and whether it may be used right now for `kind`: the
/// download routes take only download links and the upload route only upload links, so an
/// upload link never hands out what it received.
pub async fn public_link(db: &Db, token: &str, kind: LinkKind) -> sqlx::Result<PublicAccess> {
    resolve(db, token, Some(kind)).await
}

/// The link behind a public token, of either kind (for its page, which serves both).
pub async fn public_page_link(db: &Db, token: &str) -> sqlx::Result<PublicAccess> {
    resolve(db, token, None).await
}

async fn resolve(db: &Db, token: &str, want: Option<LinkKind>) -> sqlx::Result<PublicAccess> {
    if !looks_like_token(token) {
        return Ok(PublicAccess::Dead {
            link: None,
            reason: "malformed token",
        });
    }
    let Some(found) = links::by_token_hash(db, &secret_hash(token)).await? else {
        return Ok(PublicAccess::Dead {
            link: None,
            reason: "unknown token",
        });
    };
    let kind = found.link.kind();
    let reason = if want.is_some_and(|w| w != kind) {
        match kind {
            LinkKind::Upload => "not a download link",
            LinkKind::Download => "not an upload link",
        }
    } else {
        match found.link.state_at(now_ms()) {
            LinkState::Active => return Ok(PublicAccess::Live(found)),
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
            LinkState::Closed => "closed",
            LinkState::Exhausted => match kind {
                LinkKind::Download => "download limit reached",
                LinkKind::Upload => "upload limit reached",
            },
        }
    };
    Ok(PublicAccess::Dead {
        link: Some(found),
        reason,
    })
}

/// The upload link behind a public token in whatever state, for the receipts of its earlier
/// submissions (each still needs its own receipt cookie).
pub async fn upload_link_for_receipt(db: &Db, token: &str) -> sqlx::Result<Option<PublicLink>> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    Ok(links::by_token_hash(db, &secret_hash(token))
        .await?
        .filter(|f| f.link.kind() == LinkKind::Upload && f.link.purged_at.is_none()))
}
