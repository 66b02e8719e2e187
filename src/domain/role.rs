//! What a person may do: one role per account.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Runs the deployment; belongs to no tenant and sees no tenant's files or records.
    Operator,
    /// IT of one municipality: users, policies, every link of the tenant.
    Admin,
    /// Creates and manages their own links.
    Staff,
    /// Reads the tenant's audit record and link details; changes nothing.
    Auditor,
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            "auditor" => Ok(Role::Auditor),
            other => Err(format!(
                "{other:?} is not a role; use admin, staff, auditor or operator"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
        }
    }

    /// Whether this role may create and manage links of its own.
    pub fn can_share(self) -> bool {
        matches!(self, Role::Admin | Role::Staff)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
