//! The service's naming rules for the values inside ARM IDs (subscription, resource group,
//! vault, instance and other names), shared by the ID parser and the resource's name check.

/// The service's naming rule for one value segment. Each rule refuses `.` and `..` (a client or
/// proxy would resolve them and address the parent resource) and anything that would change the
/// ID when it is formatted again or put in a URL path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// A subscription ID: a GUID.
    Guid,
    /// A resource group: 1-90 letters or digits (Unicode, as ARM's `Char.IsLetterOrDigit`) or
    /// `_()-.`, not ending in `.`.
    ResourceGroup,
    /// A backup vault: 2-50 ASCII letters, digits or `-`, starting with a letter.
    BackupVault,
    /// A backup instance (or policy): 1-260 printable ASCII characters, none of `/\?#%&:<>*`.
    /// The service documents no pattern; these keep the name a single, unambiguous path segment.
    AsciiName,
    /// Any other resource name (disks, servers, databases): 1-260 characters, no whitespace or
    /// control characters and none of `/\?#%`. Each service has its own stricter rule, which the
    /// service checks; these bounds only keep the ID one unambiguous segment per value.
    Name,
}

/// Longest value accepted for names without a tighter documented bound.
pub const MAX_NAME_LEN: usize = 260;

impl NameRule {
    /// Why `value` is not a valid `{what}` under this rule, if it is not.
    pub fn check(self, what: &str, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Err(format!("{{{what}}} is empty"));
        }
        if value == "." || value == ".." {
            return Err(format!(
                "{{{what}}} is {value:?}, which a URL resolves to another resource"
            ));
        }
        if let Some(c) = value.chars().find(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%')
        }) {
            return Err(format!("{{{what}}} {value:?} contains the character {c:?}"));
        }
        let chars = value.chars().count();
        match self {
            NameRule::Guid => {
                if uuid::Uuid::try_parse(value).is_err() || value.len() != 36 {
                    return Err(format!(
                        "{{{what}}} {value:?} is not a GUID such as 00000000-0000-0000-0000-000000000000"
                    ));
                }
            }
            NameRule::ResourceGroup => {
                if chars > 90 {
                    return Err(format!(
                        "{{{what}}} has {chars} characters; at most 90 are allowed"
                    ));
                }
                if let Some(c) = value
                    .chars()
                    .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.')))
                {
                    return Err(format!(
                        "{{{what}}} {value:?} contains the character {c:?}; only letters, digits and _()-. are allowed"
                    ));
                }
                if value.ends_with('.') {
                    return Err(format!("{{{what}}} {value:?} must not end with \".\""));
                }
            }
            NameRule::BackupVault => {
                if !(2..=50).contains(&chars) {
                    return Err(format!(
                        "{{{what}}} has {chars} characters; 2 to 50 are allowed"
                    ));
                }
                if let Some(c) = value
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
                {
                    return Err(format!(
                        "{{{what}}} {value:?} contains the character {c:?}; only letters, digits and - are allowed"
                    ));
                }
                if !value.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    return Err(format!("{{{what}}} {value:?} must start with a letter"));
                }
            }
            NameRule::AsciiName | NameRule::Name => {
                if chars > MAX_NAME_LEN {
                    return Err(format!(
                        "{{{what}}} has {chars} characters; at most {MAX_NAME_LEN} are allowed"
                    ));
                }
                if self == NameRule::AsciiName
                    && let Some(c) = value
                        .chars()
                        .find(|c| !c.is_ascii_graphic() || matches!(c, '&' | ':' | '<' | '>' | '*'))
                {
                    return Err(format!(
                        "{{{what}}} {value:?} contains the character {c:?}; use ASCII letters, digits and punctuation other than /\\?#%&:<>*"
                    ));
                }
            }
        }
        Ok(())
    }
}
