//! The instance's companion documents apps read at 4.3: the privacy
//! policy and terms of service (none written: 404, as Mastodon answers
//! when an admin wrote none), the languages posts may be written in, and
//! the translation pairs (none: Burrow does not translate).

use crate::http::error::ApiError;
use crate::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instance/privacy_policy", get(not_written))
        .route("/api/v1/instance/terms_of_service", get(not_written))
        .route("/api/v1/instance/languages", get(languages))
        .route(
            "/api/v1/instance/translation_languages",
            get(translation_languages),
        )
}

async fn not_written() -> ApiError {
    ApiError::not_found("Record not found")
}

/// ISO 639-1 codes and English names, one `code name` a line: the
/// languages a post may be tagged with, as Mastodon lists them.
const LANGUAGES: &str = "aa Afar\nab Abkhaz\nae Avestan\naf Afrikaans\nak Akan\nam Amharic\nan Aragonese\nar Arabic\nas Assamese\nav Avaric\nay Aymara\naz Azerbaijani\nba Bashkir\nbe Belarusian\nbg Bulgarian\nbh Bihari\nbi Bislama\nbm Bambara\nbn Bengali\nbo Tibetan\nbr Breton\nbs Bosnian\nca Catalan\nce Chechen\nch Chamorro\nco Corsican\ncr Cree\ncs Czech\ncu Old Church Slavonic\ncv Chuvash\ncy Welsh\nda Danish\nde German\ndv Divehi\ndz Dzongkha\nee Ewe\nel Greek\nen English\neo Esperanto\nes Spanish\net Estonian\neu Basque\nfa Persian\nff Fula\nfi Finnish\nfj Fijian\nfo Faroese\nfr French\nfy Western Frisian\nga Irish\ngd Scottish Gaelic\ngl Galician\ngn Guarani\ngu Gujarati\ngv Manx\nha Hausa\nhe Hebrew\nhi Hindi\nho Hiri Motu\nhr Croatian\nht Haitian\nhu Hungarian\nhy Armenian\nhz Herero\nia Interlingua\nid Indonesian\nie Interlingue\nig Igbo\nii Nuosu\nik Inupiaq\nio Ido\nis Icelandic\nit Italian\niu Inuktitut\nja Japanese\njv Javanese\nka Georgian\nkg Kongo\nki Kikuyu\nkj Kwanyama\nkk Kazakh\nkl Kalaallisut\nkm Khmer\nkn Kannada\nko Korean\nkr Kanuri\nks Kashmiri\nku Kurmanji (Kurdish)\nkv Komi\nkw Cornish\nky Kyrgyz\nla Latin\nlb Luxembourgish\nlg Ganda\nli Limburgish\nln Lingala\nlo Lao\nlt Lithuanian\nlu Luba-Katanga\nlv Latvian\nmg Malagasy\nmh Marshallese\nmi Māori\nmk Macedonian\nml Malayalam\nmn Mongolian\nmr Marathi\nms Malay\nmt Maltese\nmy Burmese\nna Nauru\nnb Norwegian Bokmål\nnd Northern Ndebele\nne Nepali\nng Ndonga\nnl Dutch\nnn Norwegian Nynorsk\nno Norwegian\nnr Southern Ndebele\nnv Navajo\nny Chichewa\noc Occitan\noj Ojibwe\nom Oromo\nor Oriya\nos Ossetian\npa Punjabi\npi Pāli\npl Polish\nps Pashto\npt Portuguese\nqu Quechua\nrm Romansh\nrn Kirundi\nro Romanian\nru Russian\nrw Kinyarwanda\nsa Sanskrit\nsc Sardinian\nsd Sindhi\nse Northern Sami\nsg Sango\nsi Sinhala\nsk Slovak\nsl Slovenian\nsm Samoan\nsn Shona\nso Somali\nsq Albanian\nsr Serbian\nss Swati\nst Southern Sotho\nsu Sundanese\nsv Swedish\nsw Swahili\nta Tamil\nte Telugu\ntg Tajik\nth Thai\nti Tigrinya\ntk Turkmen\ntl Tagalog\ntn Tswana\nto Tonga\ntr Turkish\nts Tsonga\ntt Tatar\ntw Twi\nty Tahitian\nug Uyghur\nuk Ukrainian\nur Urdu\nuz Uzbek\nve Venda\nvi Vietnamese\nvo Volapük\nwa Walloon\nwo Wolof\nxh Xhosa\nyi Yiddish\nyo Yoruba\nza Zhuang\nzh Chinese\nzu Zulu";

async fn languages() -> Json<Value> {
    Json(Value::Array(
        LANGUAGES
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(code, name)| json!({ "code": code, "name": name }))
            .collect(),
    ))
}

async fn translation_languages() -> Json<Value> {
    Json(json!({}))
}
