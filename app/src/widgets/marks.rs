//! Chart marks kept by position: a chart describes its bars, labels or rows as plain
//! values ([`Mark`]) and [`group`] draws them. The server writes them as markup; in
//! the browser the group keeps one element per mark and writes only the attributes
//! and text that changed, so a chart of 30 bars redrawn ten times a second parses no
//! markup and makes no elements once drawn (markup written with `inner_html` made
//! ~90 elements per chart per update, each parsed and styled again).

use super::chart::escape_xml;
use leptos::prelude::*;

/// One SVG element, by value. Attributes keep one order per kind of mark, so a
/// redraw compares them pairwise.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mark {
    pub tag: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    /// The text of a `<text>` mark.
    pub text: String,
    /// A tooltip (a `<title>` child of a shape), only where a person can point at it.
    pub title: Option<String>,
}

impl Mark {
    pub fn new(tag: &'static str) -> Mark {
        Mark {
            tag,
            ..Mark::default()
        }
    }

    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Mark {
        self.attrs.push((name, value.into()));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Mark {
        self.text = text.into();
        self
    }

    pub fn title(mut self, title: Option<String>) -> Mark {
        self.title = title;
        self
    }
}

/// `marks` as SVG markup, everything from the data escaped.
pub fn markup(marks: &[Mark]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(marks.len() * 120);
    for m in marks {
        let _ = write!(out, "<{}", m.tag);
        for (name, value) in &m.attrs {
            let _ = write!(out, r#" {name}="{}""#, escape_xml(value));
        }
        out.push('>');
        if let Some(title) = &m.title {
            let _ = write!(out, "<title>{}</title>", escape_xml(title));
        }
        out.push_str(&escape_xml(&m.text));
        let _ = write!(out, "</{}>", m.tag);
    }
    out
}

/// A `<g class=…>` showing `marks`, live.
pub fn group(class: &'static str, marks: Memo<Vec<Mark>>) -> impl IntoView {
    let node = NodeRef::<leptos::svg::G>::new();
    #[cfg(feature = "hydrate")]
    {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::JsCast;
        // What each element shows now (empty on the server, where nothing is kept).
        let held = StoredValue::new(Vec::<(Mark, SendWrapper<web_sys::Element>)>::new());
        Effect::new(move |_| {
            let Some(g) = node.get() else { return };
            let g: web_sys::Element = g.unchecked_into();
            marks.with(|marks| held.update_value(|held| browser::patch(&g, held, marks)));
        });
    }
    let initial = marks.with_untracked(|m| markup(m));
    view! { <g class=class node_ref=node inner_html=initial></g> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Mark;
    use send_wrapper::SendWrapper;
    use web_sys::{Document, Element};

    const SVG: &str = "http://www.w3.org/2000/svg";

    /// Brings the children of `g` level with `marks`, by position.
    pub fn patch(g: &Element, held: &mut Vec<(Mark, SendWrapper<Element>)>, marks: &[Mark]) {
        if held.is_empty() && !adopt(g, held, marks) {
            // What the first render wrote, unlike `marks`: drawn anew, kept from now on.
            g.set_inner_html("");
        }
        let doc = leptos::prelude::document();
        for (i, mark) in marks.iter().enumerate() {
            match held.get_mut(i) {
                Some((was, el)) if was.tag == mark.tag => {
                    update(&doc, el, was, mark);
                    *was = mark.clone();
                }
                Some((was, el)) => {
                    let Some(made) = create(&doc, mark) else {
                        return;
                    };
                    let _ = g.replace_child(&made, el);
                    *was = mark.clone();
                    *el = SendWrapper::new(made);
                }
                None => {
                    let Some(made) = create(&doc, mark) else {
                        return;
                    };
                    let _ = g.append_child(&made);
                    held.push((mark.clone(), SendWrapper::new(made)));
                }
            }
        }
        for (_, el) in held.drain(marks.len().min(held.len())..) {
            el.remove();
        }
    }

    /// Takes the elements the server wrote for `marks` as they are (hydration draws
    /// from the same data, so they already show `marks`): nothing is parsed again.
    /// False when `g` holds anything else.
    fn adopt(g: &Element, held: &mut Vec<(Mark, SendWrapper<Element>)>, marks: &[Mark]) -> bool {
        if g.child_element_count() as usize != marks.len() {
            return false;
        }
        let mut next = g.first_element_child();
        for mark in marks {
            match next {
                Some(el) if el.tag_name() == mark.tag => {
                    next = el.next_element_sibling();
                    held.push((mark.clone(), SendWrapper::new(el)));
                }
                _ => {
                    held.clear();
                    return false;
                }
            }
        }
        true
    }

    fn create(doc: &Document, mark: &Mark) -> Option<Element> {
        let el = doc.create_element_ns(Some(SVG), mark.tag).ok()?;
        for (name, value) in &mark.attrs {
            let _ = el.set_attribute(name, value);
        }
        if let Some(title) = &mark.title {
            let t = doc.create_element_ns(Some(SVG), "title").ok()?;
            t.set_text_content(Some(title));
            let _ = el.append_child(&t);
        } else if !mark.text.is_empty() {
            el.set_text_content(Some(&mark.text));
        }
        Some(el)
    }

    fn update(doc: &Document, el: &Element, was: &Mark, mark: &Mark) {
        let same_names = was.attrs.len() == mark.attrs.len()
            && was.attrs.iter().zip(&mark.attrs).all(|(a, b)| a.0 == b.0);
        if same_names {
            for ((_, old), (name, new)) in was.attrs.iter().zip(&mark.attrs) {
                if old != new {
                    let _ = el.set_attribute(name, new);
                }
            }
        } else {
            for (name, _) in &was.attrs {
                let _ = el.remove_attribute(name);
            }
            for (name, value) in &mark.attrs {
                let _ = el.set_attribute(name, value);
            }
        }
        if was.title != mark.title || was.text != mark.text {
            // A shape's only child is its title; a text mark's only child its text.
            match &mark.title {
                Some(title) => {
                    el.set_text_content(None);
                    if let Ok(t) = doc.create_element_ns(Some(SVG), "title") {
                        t.set_text_content(Some(title));
                        let _ = el.append_child(&t);
                    }
                }
                None => el.set_text_content(Some(&mark.text)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_escapes_attributes_text_and_titles() {
        let marks = vec![
            Mark::new("rect")
                .attr("x", "1")
                .attr("fill", "\"><script>")
                .title(Some("a < b".into())),
            Mark::new("text").attr("y", "2").text("<b>&"),
        ];
        assert_eq!(
            markup(&marks),
            r#"<rect x="1" fill="&quot;&gt;&lt;script&gt;"><title>a &lt; b</title></rect><text y="2">&lt;b&gt;&amp;</text>"#
        );
    }
}
