//! `[web] templates`: a site's own templates. Every `NAME.html` in the
//! directory replaces the built-in page of that name (`accounts.html`,
//! `message.html`, ...; `base.html` when the site's pages extend it). They
//! are Jinja templates (minijinja), escaping HTML by default, and see the
//! same values as the built-in ones; `style.css` there replaces the
//! stylesheet. They are read and checked once, when `serve` starts.

use std::path::Path;

use anyhow::Context as _;

/// The site's templates, if any.
#[derive(Debug, Default)]
pub struct Overrides {
    env: Option<minijinja::Environment<'static>>,
    names: Vec<String>,
}

impl Overrides {
    /// Reads every `*.html` of `dir` (none when `dir` is empty); a template
    /// that does not parse is an error naming it.
    pub fn load(dir: &Path) -> anyhow::Result<Overrides> {
        if dir.as_os_str().is_empty() {
            return Ok(Overrides::default());
        }
        let mut env = minijinja::Environment::new();
        let mut names = Vec::new();
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("[web] templates: cannot read {}", dir.display()))?;
        for e in entries {
            let path = e?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if !name.ends_with(".html") {
                continue;
            }
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("[web] templates: cannot read {}", path.display()))?;
            env.add_template_owned(name.clone(), source)
                .with_context(|| format!("[web] templates: {name}"))?;
            names.push(name);
        }
        tracing::info!(dir = %dir.display(), templates = ?names, "web: the site's templates");
        Ok(Overrides {
            env: Some(env),
            names,
        })
    }

    /// Renders the site's template `name` with `ctx`, when the site has one.
    pub fn render<T: serde::Serialize>(
        &self,
        name: &str,
        ctx: &T,
    ) -> Option<Result<String, minijinja::Error>> {
        let env = self.env.as_ref()?;
        if !self.names.iter().any(|n| n == name) {
            return None;
        }
        let value = minijinja::Value::from(minijinja::value::Serde(ctx));
        Some(env.get_template(name).and_then(|t| t.render(value)))
    }
}
