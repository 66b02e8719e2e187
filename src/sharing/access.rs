//! The one place that decides who may see a link: staff through their tenant and role, partners
//! through the public token. Everything else answers "not found".

use crate::db::links::{self, Link, PublicLink};
use crate::db::users::User;
use crate::db::Db;
use crate::domain::link::LinkState;
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

/// The link behind a public token and whether it may be used right now.
pub async fn public_link(db: &Db, token: &str) -> sqlx::Result<PublicAccess> {
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
    let reason = if found.link.kind() != crate::domain::link::LinkKind::Download {
        // Upload links never hand out what they received.
        "not a download link"
    } else {
        match found.link.state_at(now_ms()) {
            LinkState::Active => return Ok(PublicAccess::Live(found)),
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
            LinkState::Exhausted => "download limit reached",
        }
    };
    Ok(PublicAccess::Dead {
        link: Some(found),
        reason,
    })
}
