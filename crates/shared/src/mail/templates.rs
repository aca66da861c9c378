//! Email templates: each kind of email is a subject, a plain-text and an
//! HTML template (minijinja), kept by the crate that sends it in
//! `crates/<crate>/templates/`. HTML templates escape what they insert.

use minijinja::Environment;
use serde::Serialize;

use super::Email;

/// One kind of email's templates, as source text.
#[derive(Debug, Clone, Copy)]
pub struct MailTemplate {
    /// The kind, also the email's `kind`.
    pub kind: &'static str,
    /// The subject line's template.
    pub subject: &'static str,
    /// The plain-text body's template.
    pub text: &'static str,
    /// The HTML body's template.
    pub html: &'static str,
}

/// A crate's email templates, parsed once.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

/// A template that does not parse or render: a bug in the template.
#[derive(Debug, thiserror::Error)]
#[error("email template {kind}: {source}")]
pub struct TemplateError {
    kind: String,
    source: minijinja::Error,
}

/// The recipient of an email.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// Their account, when it is one's.
    pub user_id: Option<String>,
    /// Their display name.
    pub name: String,
    /// Their address.
    pub address: String,
}

impl Templates {
    /// Parses every template of `all`.
    pub fn new(all: &[MailTemplate]) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        for template in all {
            for (part, source) in [
                ("subject.txt", template.subject),
                ("text.txt", template.text),
                ("body.html", template.html),
            ] {
                env.add_template_owned(format!("{}/{part}", template.kind), source)
                    .map_err(|source| TemplateError {
                        kind: template.kind.to_owned(),
                        source,
                    })?;
            }
        }
        Ok(Self { env })
    }

    /// The email of `kind` to `to`, rendered with `context`.
    pub fn render(
        &self,
        kind: &str,
        to: &Recipient,
        context: impl Serialize,
    ) -> Result<Email, TemplateError> {
        let context = minijinja::Value::from_serialize(&context);
        let render = |part: &str| {
            self.env
                .get_template(&format!("{kind}/{part}"))
                .and_then(|t| t.render(&context))
                .map_err(|source| TemplateError {
                    kind: kind.to_owned(),
                    source,
                })
        };
        Ok(Email {
            kind: kind.to_owned(),
            user_id: to.user_id.clone(),
            to_name: to.name.clone(),
            to_address: to.address.clone(),
            subject: render("subject.txt")?.trim().to_owned(),
            text: render("text.txt")?,
            html: render("body.html")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: MailTemplate = MailTemplate {
        kind: "hello",
        subject: "Hello {{ name }}",
        text: "Hi {{ name }}, see {{ link }}",
        html: "<p>Hi {{ name }}, <a href=\"{{ link }}\">go</a></p>",
    };

    #[test]
    fn html_escapes_what_it_inserts_and_text_does_not() {
        let templates = Templates::new(&[HELLO]).expect("parses");
        let to = Recipient {
            user_id: None,
            name: "Ana".to_owned(),
            address: "ana@example.com".to_owned(),
        };
        let email = templates
            .render(
                "hello",
                &to,
                serde_json::json!({"name": "<b>Ana</b>", "link": "http://x/?a=1&b=2"}),
            )
            .expect("renders");
        assert_eq!(email.subject, "Hello <b>Ana</b>");
        assert_eq!(email.text, "Hi <b>Ana</b>, see http://x/?a=1&b=2");
        assert!(
            email.html.contains("&lt;b&gt;Ana&lt;&#x2f;b&gt;"),
            "{}",
            email.html
        );
        assert!(email.html.contains("a=1&amp;b=2"), "{}", email.html);
    }
}
