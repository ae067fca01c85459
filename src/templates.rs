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

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
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
}
