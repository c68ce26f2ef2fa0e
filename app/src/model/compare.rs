//! What changed between two versions of a dashboard, in words: shown when another
//! author saved first, so the author can choose what to keep.

use super::{Dashboard, Widget};

/// How a widget is named in a list of changes: its kind and title (or id).
fn name(w: &Widget) -> String {
    if w.look.title.trim().is_empty() {
        format!("{} {}", w.kind.label(), w.id)
    } else {
        format!("{} “{}”", w.kind.label(), w.look.title.trim())
    }
}

/// The changes that turn `from` into `to`, one line each, dashboard settings first,
/// then widgets in `to`'s order, then removed widgets.
pub fn differences(from: &Dashboard, to: &Dashboard) -> Vec<String> {
    let mut out = Vec::new();
    if from.name != to.name {
        out.push(format!("renamed to “{}”", to.name));
    }
    if from.resolution != to.resolution {
        out.push(format!(
            "design resolution set to {} × {}",
            to.resolution.width, to.resolution.height
        ));
    }
    if from.theme != to.theme {
        out.push(format!("theme set to {}", to.theme.label()));
    }
    for w in &to.widgets {
        match from.widgets.iter().find(|old| old.id == w.id) {
            None => out.push(format!("added {}", name(w))),
            Some(old) if old == w => {}
            Some(old) => {
                let rect = old.rect != w.rect;
                let rest = Widget {
                    rect: w.rect,
                    ..old.clone()
                } != *w;
                let what = match (rect, rest) {
                    (true, true) => "moved or resized and changed",
                    (true, false) => "moved or resized",
                    _ => "changed",
                };
                out.push(format!("{what} {}", name(w)));
            }
        }
    }
    for old in &from.widgets {
        if !to.widgets.iter().any(|w| w.id == old.id) {
            out.push(format!("removed {}", name(old)));
        }
    }
    let order = |d: &Dashboard| {
        d.widgets
            .iter()
            .filter(|w| from.widgets.iter().any(|o| o.id == w.id))
            .filter(|w| to.widgets.iter().any(|o| o.id == w.id))
            .map(|w| w.id.clone())
            .collect::<Vec<_>>()
    };
    if order(from) != order(to) {
        out.push("changed the stacking order".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Rect, Theme, WidgetId, WidgetKind};

    fn board() -> Dashboard {
        let mut d = Dashboard::new("Wall").unwrap();
        for (i, title) in ["Revenue", ""].into_iter().enumerate() {
            let id = WidgetId::parse(format!("w{}", i + 1)).unwrap();
            let rect = Rect {
                x: 100 * i as i32,
                y: 0,
                w: 100,
                h: 100,
            };
            let mut w = Widget::new(id, rect, WidgetKind::Kpi(Default::default()));
            w.look.title = title.into();
            d.widgets.push(w);
        }
        d
    }

    #[test]
    fn the_same_dashboard_has_no_differences() {
        assert!(differences(&board(), &board()).is_empty());
    }

    #[test]
    fn each_kind_of_change_is_named() {
        let from = board();
        let mut to = board();
        to.name = "Floor".into();
        to.theme = Theme::Light;
        to.widgets[0].rect.x = 500;
        to.widgets[1].look.subtitle = "new".into();
        to.widgets.swap(0, 1);
        let extra = WidgetId::parse("w3").unwrap();
        let rect = to.widgets[0].rect;
        to.widgets.push(Widget::new(
            extra,
            rect,
            WidgetKind::Kpi(Default::default()),
        ));
        assert_eq!(
            differences(&from, &to),
            [
                "renamed to “Floor”",
                "theme set to Light",
                "changed KPI w2",
                "moved or resized KPI “Revenue”",
                "added KPI w3",
                "changed the stacking order",
            ]
        );
        let mut fewer = board();
        fewer.widgets.remove(0);
        assert_eq!(differences(&from, &fewer), ["removed KPI “Revenue”"]);
    }
}
