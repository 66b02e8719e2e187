//! A tenant's rules for links and files, read once per request and enforced wherever a link is
//! made or a file arrives (pages, API, partner uploads).

use crate::config::Settings;
use crate::db::Db;
use crate::domain::file_type::{self, FileType};
use crate::domain::link::LinkKind;
use crate::domain::role::Role;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct LinkPolicy {
    pub default_days: i64,
    pub max_days: i64,
    pub retention_days: i64,
    /// Files that cannot be scanned completely are refused at upload instead of held.
    pub refuse_unscannable: bool,
    /// While clamd does not answer, uploads are refused instead of accepted and held.
    pub refuse_while_scanner_down: bool,
    /// Every new link needs a password.
    pub password_required: bool,
    /// Shortest link password accepted.
    pub password_min_len: i64,
    /// Largest single file (the deployment's limit applies as well).
    pub max_file_bytes: Option<i64>,
    /// Largest total of one link's files.
    pub max_link_bytes: Option<i64>,
    /// Only these kinds of file are accepted (`None`: any).
    pub allowed_types: Option<String>,
    /// These kinds of file are refused.
    pub blocked_types: Option<String>,
    /// Staff (not only admins) may create upload links.
    pub staff_upload_links: bool,
    pub audit_retention_days: i64,
    pub client_address_mode: String,
    /// Set by the operator, not by the tenant's admins (`None`: unlimited).
    pub storage_quota_bytes: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    link_default_days: i64,
    link_max_days: i64,
    file_retention_days: i64,
    unscannable_policy: String,
    scanner_down_policy: String,
    link_password_required: i64,
    link_password_min_len: i64,
    max_file_bytes: Option<i64>,
    max_link_bytes: Option<i64>,
    allowed_types: Option<String>,
    blocked_types: Option<String>,
    staff_upload_links: i64,
    audit_retention_days: i64,
    client_address_mode: String,
    storage_quota_bytes: Option<i64>,
}

pub async fn for_tenant(db: &Db, tenant_id: &str) -> sqlx::Result<LinkPolicy> {
    let r: Row = sqlx::query_as(
        "SELECT link_default_days, link_max_days, file_retention_days, unscannable_policy,
                scanner_down_policy, link_password_required, link_password_min_len,
                max_file_bytes, max_link_bytes, allowed_types, blocked_types, staff_upload_links,
                audit_retention_days, client_address_mode, storage_quota_bytes
         FROM tenants WHERE id = $1",
    )
    .bind(tenant_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(LinkPolicy {
        default_days: r.link_default_days,
        max_days: r.link_max_days,
        retention_days: r.file_retention_days,
        refuse_unscannable: r.unscannable_policy == "refuse",
        refuse_while_scanner_down: r.scanner_down_policy == "refuse",
        password_required: r.link_password_required != 0,
        password_min_len: r.link_password_min_len,
        max_file_bytes: r.max_file_bytes,
        max_link_bytes: r.max_link_bytes,
        allowed_types: r.allowed_types,
        blocked_types: r.blocked_types,
        staff_upload_links: r.staff_upload_links != 0,
        audit_retention_days: r.audit_retention_days,
        client_address_mode: r.client_address_mode,
        storage_quota_bytes: r.storage_quota_bytes,
    })
}

impl LinkPolicy {
    /// The rules staff meet when they make a link, as short phrases in their language.
    pub fn hints(&self, settings: &Settings, lang: crate::i18n::Lang) -> Vec<String> {
        let min = self.password_min_len.to_string();
        let mut out = vec![if self.password_required {
            lang.tf("policy.hint_password_required", &[("min", &min)])
        } else {
            lang.tf("policy.hint_password_min", &[("min", &min)])
        }];
        out.push(lang.tf(
            "policy.hint_max_file",
            &[(
                "size",
                &crate::web::format::human_size(self.file_limit(settings)),
            )],
        ));
        if let Some(max) = self.max_link_bytes {
            out.push(lang.tf(
                "policy.hint_max_link",
                &[("size", &crate::web::format::human_size(max.max(0) as u64))],
            ));
        }
        let names = |kinds: Vec<&'static FileType>| {
            kinds
                .iter()
                .map(|k| lang.t(k.label_key()))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let allowed = self.allowed_kinds();
        if !allowed.is_empty() {
            out.push(lang.tf("policy.hint_only", &[("kinds", &names(allowed))]));
        }
        let blocked = self.blocked_kinds();
        if !blocked.is_empty() {
            out.push(lang.tf("policy.hint_blocked", &[("kinds", &names(blocked))]));
        }
        out
    }

    /// The largest single file this tenant accepts: its own limit or the deployment's, whichever
    /// is smaller.
    pub fn file_limit(&self, settings: &Settings) -> u64 {
        let own = self.max_file_bytes.map_or(u64::MAX, |n| n.max(0) as u64);
        own.min(settings.max_file_bytes)
    }

    /// Whether this role may create a link of this kind.
    pub fn may_create(&self, role: Role, kind: LinkKind) -> Result<(), AppError> {
        match (role, kind) {
            (Role::Admin, _) | (Role::Staff, LinkKind::Download) => Ok(()),
            (Role::Staff, LinkKind::Upload) if self.staff_upload_links => Ok(()),
            (Role::Staff, LinkKind::Upload) => Err(AppError::Forbidden),
            _ => Err(AppError::Forbidden),
        }
    }

    /// A new or changed link password: long enough for this tenant, not a common one.
    pub fn check_link_password(&self, pw: &str) -> Result<(), AppError> {
        let n = pw.chars().count() as i64;
        if n < self
            .password_min_len
            .max(crate::sharing::links::MIN_LINK_PASSWORD as i64)
            || pw.len() > crate::auth::password::MAX_LEN
        {
            return Err(AppError::BadRequest("error.link_password_short"));
        }
        if crate::auth::password_rules::is_common(pw) {
            return Err(AppError::BadRequest("error.password_common"));
        }
        Ok(())
    }

    /// A link without a password where the tenant requires one.
    pub fn check_password_present(&self, has_password: bool) -> Result<(), AppError> {
        if self.password_required && !has_password {
            return Err(AppError::BadRequest("error.link_password_required"));
        }
        Ok(())
    }

    fn allowed_kinds(&self) -> Vec<&'static FileType> {
        file_type::from_stored(self.allowed_types.as_deref())
    }

    fn blocked_kinds(&self) -> Vec<&'static FileType> {
        file_type::from_stored(self.blocked_types.as_deref())
    }

    /// Whether a file of this detected type and name may be stored in this tenant.
    pub fn accepts_type(&self, content_type: &str, name: &str) -> bool {
        file_type::allowed(&self.allowed_kinds(), content_type, name)
            && !file_type::claimed_by(&self.blocked_kinds(), content_type, name)
    }

    /// The kinds an upload link may offer: what it asks for, within what the tenant allows; an
    /// upload link that asks for nothing offers the tenant's allowed kinds.
    pub fn upload_link_types(&self, asked: Option<&str>) -> Result<Option<String>, AppError> {
        let allowed = self.allowed_kinds();
        let blocked = self.blocked_kinds();
        let asked = file_type::from_stored(asked);
        if asked.iter().any(|k| {
            blocked.iter().any(|b| b.key == k.key)
                || !(allowed.is_empty() || allowed.iter().any(|a| a.key == k.key))
        }) {
            return Err(AppError::BadRequest("error.type_not_in_policy"));
        }
        let kinds = if asked.is_empty() { allowed } else { asked };
        Ok((!kinds.is_empty()).then(|| kinds.iter().map(|k| k.key).collect::<Vec<_>>().join(",")))
    }

    /// An upload link's total: within the tenant's per-link limit, which is also the default.
    pub fn upload_link_bytes(&self, asked: Option<i64>) -> Result<Option<i64>, AppError> {
        match (asked, self.max_link_bytes) {
            (Some(a), Some(max)) if a > max => Err(AppError::BadRequest("error.max_bytes_policy")),
            (Some(a), _) => Ok(Some(a)),
            (None, max) => Ok(max),
        }
    }

    /// An upload link's per-file limit: within the tenant's, which is also the default.
    pub fn upload_file_bytes(&self, asked: Option<i64>) -> Result<Option<i64>, AppError> {
        match (asked, self.max_file_bytes) {
            (Some(a), Some(max)) if a > max => {
                Err(AppError::BadRequest("error.max_file_bytes_policy"))
            }
            (Some(a), _) => Ok(Some(a)),
            (None, max) => Ok(max),
        }
    }
}
