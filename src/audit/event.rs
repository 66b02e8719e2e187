//! What an audit record says: who did what to which thing, with what outcome.

use serde_json::Value;

use crate::db::users::User;

/// Who acted.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A signed-in account (or one identified by an API token).
    User { id: String, email: String },
    /// Someone without an account: an external partner, or a login attempt for an unknown address.
    External,
    /// Bote itself: jobs, the command line.
    System,
}

impl Actor {
    pub fn user(user: &User) -> Actor {
        Actor::User {
            id: user.id.clone(),
            email: user.email.clone(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::External => "external",
            Actor::System => "system",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
}

/// One event to record. Never put passwords, whole tokens, session ids or file contents here.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub tenant_id: Option<String>,
    pub actor: Actor,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub action: &'static str,
    pub outcome: Outcome,
    pub link_id: Option<String>,
    pub file_id: Option<String>,
    pub reason: Option<String>,
    pub details: Value,
}

impl AuditEvent {
    pub fn new(action: &'static str, outcome: Outcome, actor: Actor) -> AuditEvent {
        AuditEvent {
            tenant_id: None,
            actor,
            client_addr: None,
            user_agent: None,
            action,
            outcome,
            link_id: None,
            file_id: None,
            reason: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn tenant(mut self, tenant_id: Option<&str>) -> Self {
        self.tenant_id = tenant_id.map(str::to_string);
        self
    }

    pub fn client(mut self, client: &crate::web::client::ClientInfo) -> Self {
        self.client_addr = Some(client.addr.clone());
        self.user_agent = client.user_agent.clone();
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.details {
            map.insert(key.to_string(), value.into());
        }
        self
    }
}
