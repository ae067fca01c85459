//! HTML templates, compiled into the binary so Burrow stays one file.
//!
//! Every template name ends in `.html`, which is what makes minijinja
//! escape its variables.

use minijinja::Environment;
use serde::Serialize;

/// (name, source) of every template.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("setup.html", include_str!("../templates/setup.html")),
    (
        "setup_done.html",
        include_str!("../templates/setup_done.html"),
    ),
    ("profile.html", include_str!("../templates/profile.html")),
    (
        "authorize.html",
        include_str!("../templates/authorize.html"),
    ),
    ("_account.html", include_str!("../templates/_account.html")),
    ("_compose.html", include_str!("../templates/_compose.html")),
    ("_status.html", include_str!("../templates/_status.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("accounts.html", include_str!("../templates/accounts.html")),
    ("atom.xml", include_str!("../templates/atom.xml")),
    ("compose.html", include_str!("../templates/compose.html")),
    ("delete.html", include_str!("../templates/delete.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    ("rss.xml", include_str!("../templates/rss.xml")),
    ("search.html", include_str!("../templates/search.html")),
    ("settings.html", include_str!("../templates/settings.html")),
    ("status.html", include_str!("../templates/status.html")),
    ("tag.html", include_str!("../templates/tag.html")),
    ("thread.html", include_str!("../templates/thread.html")),
    ("timeline.html", include_str!("../templates/timeline.html")),
];

/// Static files served under `/static/`: (name, content type, bytes).
pub const STATIC_FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../templates/static/style.css"),
    ),
    (
        "avatar.png",
        "image/png",
        include_bytes!("../templates/static/avatar.png"),
    ),
    (
        "header.png",
        "image/png",
        include_bytes!("../templates/static/header.png"),
    ),
];

/// Escapes text with the project's one HTML escaper (`content::escape`)
/// instead of minijinja's, which also escapes `/`: that protects nothing
/// inside quoted attributes or text, and every link on a page would grow
/// by a dozen bytes (`&#x2f;web&#x2f;…`).
fn escape_text(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let html = matches!(state.auto_escape(), minijinja::AutoEscape::Html);
    match value.as_str() {
        Some(text) if html && !value.is_safe() => {
            out.write_str(&crate::content::escape(text))?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// The stylesheet's URL with a digest of its bytes: browsers keep the
/// file for a day, and a new release must not be shown with last
/// release's styles, so a changed file gets a new URL.
pub fn stylesheet_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let css = STATIC_FILES
            .iter()
            .find(|(name, _, _)| *name == "style.css")
            .map(|(_, _, bytes)| *bytes)
            .unwrap_or_default();
        let digest = crate::crypto::sha256(css);
        let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("/static/style.css?v={short}")
    })
}

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        // Block tags leave no blank lines behind: a timeline page repeats
        // its post template twenty times, and each stray line costs bytes
        // on a slow phone.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_formatter(escape_text);
        env.add_global("stylesheet", stylesheet_url());
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        Templates { env }
    }

    /// Renders a template; a failure is a bug in the template, reported
    /// to the caller as text for the log.
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| format!("rendering {name}: {e:#}"))
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_templates_compile_and_escape() {
        let t = super::Templates::new();
        let html = t
            .render(
                "message.html",
                minijinja::context! { title => "<b>x</b>", message => "m", link => () },
            )
            .unwrap();
        assert!(html.contains("&lt;b&gt;x&lt;"));
        assert!(!html.contains("<b>x"));
    }

    #[test]
    fn escaping_covers_markup_and_quotes_but_keeps_slashes() {
        let mut env = minijinja::Environment::new();
        env.set_formatter(super::escape_text);
        env.add_template(
            "t.html",
            r#"<a href="{{ u }}" title='{{ t }}'>{{ t }}{{ n }}{{ s }}</a>"#,
        )
        .unwrap();
        let out = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! {
                u => "/web/a?b=1&c=2", t => r#"<x & "y" 'z'>"#, n => 7,
                s => minijinja::Value::from_safe_string("<i>ok</i>".into()),
            })
            .unwrap();
        assert_eq!(
            out,
            r#"<a href="/web/a?b=1&amp;c=2" title='&lt;x &amp; &quot;y&quot; &#39;z&#39;&gt;'>&lt;x &amp; &quot;y&quot; &#39;z&#39;&gt;7<i>ok</i></a>"#
        );
    }
}
