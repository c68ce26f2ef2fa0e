//! Image: an uploaded picture (stored like spreadsheet uploads, served from this
//! site) or a web address, fitted into the box or filling it; a bound field may give
//! the address instead.

use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{safe_url, text_of, Accepts, Invalid, Shape, Slot, UploadId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Image {
    pub source: Option<ImageSource>,
    pub fill: bool,
    /// Described for screen readers.
    pub alt: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum ImageSource {
    Url { url: String },
    Upload { upload: UploadId },
}

impl ImageSource {
    pub fn src(&self) -> String {
        match self {
            ImageSource::Url { url } => url.clone(),
            ImageSource::Upload { upload } => format!("/api/v1/images/{upload}"),
        }
    }
}

const SLOTS: &[Slot] = &[Slot {
    name: "url",
    label: "Image address (optional)",
    accepts: Accepts::Any,
    shape: Shape::Single,
    many: false,
    required: false,
}];

impl Kind for Image {
    const NAME: &'static str = "image";
    const LABEL: &'static str = "Image";
    const ICON: &'static str = "▣";
    const SIZE: (i32, i32) = (400, 300);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if let Some(ImageSource::Url { url }) = &self.source {
            safe_url(url).map_err(|e| Invalid::new("source.url", e))?;
        }
        if self.alt.chars().count() > 300 {
            return Err(Invalid::new("alt", "at most 300 characters"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let fixed = self.source.as_ref().map(ImageSource::src);
        let frame = cx.frame;
        let binding = cx.binding.clone();
        // An address from the data must be a safe one too.
        let src = Memo::new(move |_| {
            let bound = binding
                .as_ref()
                .filter(|b| b.field("url").is_some())
                .and_then(|b| {
                    frame.with(|f| {
                        f.as_ref()
                            .and_then(|f| f.pick(b, "url").ok())
                            .map(|p| text_of(&p.value))
                    })
                });
            bound
                .and_then(|u| safe_url(&u).ok().map(str::to_string))
                .or_else(|| fixed.clone())
        });
        let fit = if self.fill {
            "object-fit:cover"
        } else {
            "object-fit:contain"
        };
        let alt = self.alt.clone();
        view! {
            <div class="image-widget">
                {move || match src.get() {
                    Some(s) => view! { <img src=s alt=alt.clone() style=fit referrerpolicy="no-referrer" decoding="async" /> }.into_any(),
                    None => view! { <div class="wb-empty">"No image chosen"</div> }.into_any(),
                }}
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::text(edit, "Image address (https://…)", "image_url", |p| match &p.source {
                Some(ImageSource::Url { url }) => url.clone(),
                _ => String::new(),
            }, |p, v| {
                let v = v.trim().to_string();
                p.source = (!v.is_empty()).then_some(ImageSource::Url { url: v });
            })}
            {super::inspect::image_upload(edit)}
            {inspect::check(edit, "Fill the box (crop)", "fill", |p| p.fill, |p, v| p.fill = v)}
            {inspect::text(edit, "Description", "alt", |p| p.alt.clone(), |p, v| p.alt = v)}
        }
        .into_any()
    }
}
