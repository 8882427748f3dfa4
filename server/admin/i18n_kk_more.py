"""The console's texts in Kazakh, second part: the pages and messages added since the first
part (i18n_kk.py) reached the module size limit. i18n_texts.py merges both."""

from __future__ import annotations

__all__ = ["KK_MORE"]

KK_MORE: dict[str, str] = {
    'language':
        'тіл',
    'deadline (days)':
        'мерзім (күн)',
    'version number':
        'нұсқа нөмірі',
    'takes effect':
        'күшіне енеді',
    'scheduled':
        'жоспарланған',
    'manifest seq':
        'манифест №',
    'reasons':
        'себептер',
    'override reason':
        'айналып өту себебі',
    'app details changed':
        'өзгерген қолданба мәліметтері',
    'source':
        'дереккөз',
    'format':
        'пішім',
    'filters':
        'сүзгілер',
    'IP address':
        'IP мекенжайы',
    'reason':
        'себебі',
    'install':
        'орнату',
    'kind':
        'түрі',
    'note':
        'ескертпе',
    'forced':
        'мәжбүрлі',
    'version':
        'нұсқа',
    'roles':
        'рөлдер',
    'new keys':
        'жаңа кілттер',
    're-signed':
        'қайта қол қойылды',
    'skipped':
        'өткізілді',
    'name':
        'атауы',
    'published without titles':
        'атауларсыз жарияланды',
    'time zone':
        'уақыт белдеуі',
    'since':
        'бастап',
    'action':
        'әрекет',
    'record':
        'жазба',
    'from date':
        'басталу күні',
    'to date':
        'аяқталу күні',
    'unknown account':
        'белгісіз тіркелгі',
    'account disabled':
        'тіркелгі өшірілген',
    'wrong password':
        'қате құпиясөз',
    'version {label}':
        '{label} нұсқасы',
    'the file {name}':
        '{name} файлы',
    # Жобаның мақсаттар, жеткізушілер, дерек санаттары және рұқсаттар формасы.
    "Purposes, vendors, data categories and permissions":
        "Мақсаттар, жеткізушілер, дерек санаттары және рұқсаттар",
    "Purpose {n}": "{n}-мақсат", "Add a purpose": "Мақсат қосу", "Id": "Идентификатор",
    "Required (not optional for the user)": "Міндетті (пайдаланушы бас тарта алмайды)",
    "Title": "Атауы", "Description": "Сипаттамасы", "Vendor {n}": "{n}-жеткізуші",
    "Add a vendor": "Жеткізуші қосу",
    "Country (two letters, e.g. US)": "Ел (екі әріп, мысалы US)",
    "Privacy policy URL": "Құпиялылық саясатының мекенжайы",
    "Data category {n}": "{n}-дерек санаты", "Add a data category": "Дерек санатын қосу",
    "Permission {n}": "{n}-рұқсат", "Add a permission": "Рұқсат қосу",
    "Rationale": "Не үшін қажет", "Move up": "Жоғары", "Move down": "Төмен",
    "Remove": "Жою", "(not in this draft)": "(бұл жобада жоқ)", "none yet": "әзірге жоқ",
    "Save these lists": "Осы тізімдерді сақтау",
    "Not saved yet: press “Save these lists” to keep these changes.":
        "Әлі сақталған жоқ: өзгерістерді сақтау үшін «Осы тізімдерді сақтау» түймесін басыңыз.",
    "Nothing was saved. Correct these fields:": "Ештеңе сақталған жоқ. Мына өрістерді түзетіңіз:",
    "Languages side by side are the draft's documents. Add a language under Documents to "
    "give its texts.":
        "Қатар көрсетілген тілдер — жоба құжаттарының тілдері. Басқа тілде мәтін беру үшін "
        "«Құжаттар» бөлімінде тіл қосыңыз.",
    "Edit as TOML (purposes and app details)":
        "TOML ретінде өңдеу (мақсаттар және қолданба туралы мәліметтер)",
    "The same data as the lists below; saving here replaces them.":
        "Төмендегі тізімдердегі деректер; мұнда сақтау оларды ауыстырады.",
    "Google Consent Mode signal {signal}": "Google Consent Mode {signal} сигналы",
    "structure_in_use": "{what} жою мүмкін емес: оны {users} пайдаланады. Алдымен сол жерде "
                        "белгіні алып тастаңыз.",
    "structure_unknown_ref": "{where}: «{section}» бөлімінде {id} жоқ; оны сонда қосыңыз немесе "
                             "белгіні алып тастаңыз.",
    "structure_consent_mode": "Google Consent Mode {signal} сигналы тізімде жоқ {id} мақсатын "
                              "атайды; ол мақсатты қалдырыңыз немесе сигналды version.toml "
                              "ішінде өзгертіңіз.",
    "structure_required": "міндетті өріс.",
    "structure_not_id": "кіші латын әріптерін, цифрларды, «-», «_» немесе «.» қолданыңыз (64-тен "
                        "аспайтын), мысалы delivery.",
    "structure_not_country": "елдің екі әріпті коды, мысалы KZ немесе US.",
    "structure_not_url": "бұл веб-мекенжай емес (https://...).",
    "structure_duplicate": "{id} идентификаторы екі рет кездеседі; әрқайсысының өз "
                           "идентификаторы болуы керек.",
    "structure_one_purpose": "нұсқада кемінде бір мақсат болуы керек.",
    "structure_bad_locale": "белгісіз тіл; kk, ru, en, uz немесе ky қолданыңыз.",
    "structure_length": "тым ұзын немесе бос.",
    # issue 18: creating an app, a draft's base, confirming publish and discard
    "app_exists":
        "Бұл ID-мен қолданба бар; басқа ID таңдаңыз.",
    "base_not_offered":
        "Бұл нұсқаны жаңа жобаға көшіру мүмкін емес; қолданба бетін жаңартып, қайта таңдаңыз.",
    "confirm_publish":
        "Не болатынын айтатын белгіні қойыңыз: жариялауды болдырмау мүмкін емес.",
    "confirm_discard":
        "Не болатынын айтатын белгіні қойыңыз: жобаны жоюды болдырмау мүмкін емес.",
    "in force":
        "күшінде",
    "a new text, not a copy of a published version":
        "жаңа мәтін, жарияланған нұсқаның көшірмесі емес",
    "Version {label} will be published and take effect on {when}; this cannot be undone.":
        "{label} нұсқасы жарияланып, {when} күшіне енеді; мұны болдырмау мүмкін емес.",
    "Version {label} will be published and take effect at once; this cannot be undone.":
        "{label} нұсқасы жарияланып, бірден күшіне енеді; мұны болдырмау мүмкін емес.",
    "Draft #{id} will be discarded; this cannot be undone.":
        "№{id} жоба жойылады; мұны болдырмау мүмкін емес.",
    "The app is registered.":
        "Қолданба тіркелді.",
    "Next, give it its first version: upload its privacy policy (New draft from a file, below), "
    "or write the first draft in the console. Then publish it.":
        "Енді оның алғашқы нұсқасын жасаңыз: құпиялылық саясатын жүктеңіз (төмендегі «Файлдан "
        "жоба») немесе алғашқы жобаны консольде жазыңыз. Содан кейін оны жариялаңыз.",
    "Write the first draft":
        "Алғашқы жобаны жазу",
    "New draft, a copy of":
        "Жаңа жоба, көшірмесі:",
    "New draft from this version":
        "Осы нұсқадан жоба",
    "New app":
        "Жаңа қолданба",
    "No apps yet. An owner creates one here (New app), or registers one with `kelisim apps "
    "create APP_DIR`.":
        "Әзірге қолданба жоқ. Иесі оны осында жасайды («Жаңа қолданба») немесе `kelisim apps "
        "create APP_DIR` командасымен тіркейді.",
    "The app's identity and its controller (the company responsible for the data), as app.toml "
    "holds them. The controller's details are signed into every version; later changes go "
    "through a draft.":
        "Қолданбаның деректері және оның операторы (деректерге жауапты компания), app.toml "
        "сақтайтындай. Оператор туралы мәліметтер әр нұсқаға қол қойылып енеді; кейінгі "
        "өзгерістер жоба арқылы жасалады.",
    "Form":
        "Пішін",
    "App id":
        "Қолданба ID-і",
    "Lower-case letters, digits, '-', '_' and '.', e.g. kz.jana_courier; it cannot change later.":
        "Кіші латын әріптері, сандар, «-», «_» және «.», мысалы kz.jana_courier; кейін өзгертуге "
        "болмайды.",
    "Display name":
        "Көрсетілетін атауы",
    "Controller (company name)":
        "Оператор (компания атауы)",
    "Company number":
        "Компанияның тіркеу нөмірі",
    "KZ: BIN, 12 digits · UZ: TIN (STIR), 9 digits · KG: INN, 14 digits":
        "KZ: БСН, 12 сан · UZ: СТН (СТИР), 9 сан · KG: СТН (ИНН), 14 сан",
    "Contact e-mail":
        "Байланыс эл. поштасы",
    "Deadline for data-subject requests (days)":
        "Дербес деректер субъектілерінің сұрауларына жауап беру мерзімі (күн)",
    "Create the app":
        "Қолданбаны жасау",
    "TIN (STIR)":
        "СТН (СТИР)",
    "INN":
        "СТН (ИНН)",
    "must be a lowercase id (letters, digits, '-', '_', '.'; at most 64)":
        "кіші әріптерден тұратын ID болуы керек (әріптер, сандар, «-», «_», «.»; ең көбі 64)",
    "Length must be between 1 and 200.":
        "Ұзындығы 1-ден 200 таңбаға дейін.",
    "Length must be between 1 and 500.":
        "Ұзындығы 1-ден 500 таңбаға дейін.",
    "must be an ISO 3166 two-letter code such as KZ":
        "ISO 3166 екі әріпті коды болуы керек, мысалы KZ",
    "Not a valid email address.":
        "Бұл эл. пошта мекенжайы емес.",
    "Must be one of: kk, ru, en, uz, ky.":
        "Мыналардың бірі болуы керек: kk, ru, en, uz, ky.",
    "must be 12 digits (BIN)":
        "12 саннан тұруы керек (БСН)",
    "must be 9 digits (TIN (STIR))":
        "9 саннан тұруы керек (СТН (СТИР))",
    "must be 14 digits (INN)":
        "14 саннан тұруы керек (СТН (ИНН))",
    "is not a valid 12-digit BIN (check digit fails)":
        "жарамды БСН емес (бақылау саны сәйкес келмейді)",
    "must be 1 to 64 characters":
        "1-ден 64 таңбаға дейін болуы керек",
    "Must be greater than or equal to 1 and less than or equal to 365.":
        "1-ден 365-ке дейін болуы керек.",
    "nothing: the first version, written in the console":
        "ештеңе: консольде жазылған алғашқы нұсқа",
    "Every language the console publishes has a document in this draft.":
        "Жобада консоль жариялайтын әр тілде құжат бар.",
    ("If a key may have leaked, rotate it at once with the command above: --new manifest or "
     "--new receipt for those keys, --new root (signed with a threshold of the other root keys) "
     "for a root key. Then give the new keys to every other node and export the static files "
     "again."):
        "Кілт жария болуы мүмкін болса, оны жоғарыдағы пәрменмен бірден ауыстырыңыз: ол "
        "кілттер үшін --new manifest немесе --new receipt, түбір кілті үшін --new root (басқа "
        "түбір кілттерінің шекті санымен қол қойылады). Содан кейін жаңа кілттерді басқа "
        "барлық түйіндерге беріп, статикалық файлдарды қайта экспорттаңыз.",
    ("The full procedure is in the administrator's guide that comes with the server "
     "(Operations, section “Key rotation”); ask the server's administrator for it."):
        "Толық рәсім сервермен бірге берілетін әкімші нұсқаулығында («Operations» бөлімі, «Key "
        "rotation» тарауы); оны сервер әкімшісінен сұраңыз.",
    "{n} characters":
        "{n} таңба",
    ("{chars} characters; {bytes} of the {limit} bytes a document may have in UTF-8 "
     "(MAX_DOCUMENT_BYTES)."):
        "{chars} таңба; құжатқа UTF-8 бойынша рұқсат етілген {limit} байттың {bytes} байты "
        "(MAX_DOCUMENT_BYTES).",
    "The importer's notes":
        "Импорт ескертпелері",
    ("kept with this draft and in the audit log; they are not published and do not become the "
     "version's history note"):
        "жобамен бірге және әрекеттер журналында сақталады; олар жарияланбайды және нұсқаның "
        "тарихтағы ескертпесіне айналмайды",
    "Store labels":
        "Дүкен белгілері",
    "store labels":
        "дүкен белгілері",
    ("What the App Store and Google Play pages say about this version, made from its signed "
     "policy. Data types are named in English, as the stores' forms name them."):
        ("App Store және Google Play беттері осы нұсқа туралы не айтады, оның қол қойылған "
         "саясатынан жасалған. Деректер түрлері дүкендердің формаларындағыдай ағылшынша "
         "аталған."),
    "Not mapped yet":
        "Әлі сәйкестендірілмеген",
    "Files":
        "Файлдар",
    "The files are made once every data category and purpose is mapped.":
        "Файлдар барлық деректер санаттары мен мақсаттар сәйкестендірілгенде жасалады.",
    (
        "Check them in your app's CI with: kelisim labels {app} "
        "--python-runtime --check DIR (these files carry CPython's "
        "required-reason entries; without them, drop --python-runtime)"
    ):
        (
            "Оларды қолданбаның CI-інде тексеріңіз: kelisim labels {app} "
            "--python-runtime --check DIR (бұл файлдарда CPython үшін "
            "required-reason жазбалары бар; оларсыз --python-runtime алып тастаңыз)"
        ),
    "This draft changes your Play Data safety answers:":
        "Бұл жоба Google Play «Деректер қауіпсіздігі» бөліміндегі жауаптарыңызды өзгертеді:",
    "This draft changes your App Store privacy details:":
        "Бұл жоба App Store-дағы құпиялылық мәліметтерін өзгертеді:",
    ("After publishing, download the new files from the version's store labels page and upload "
     "them to the stores."):
        ("Жариялағаннан кейін нұсқаның дүкен белгілері бетінен жаңа файлдарды жүктеп алып, "
         "дүкендерге жүктеңіз."),
    "Refused: marked {s}, but these store label changes require minor or major:":
        ("Қабылданбады: {s} деп белгіленген, бірақ дүкен белгілерінің бұл өзгерістері minor "
         "немесе major талап етеді:"),
    "API keys":
        "API кілттері",
    "API key":
        "API кілті",
    "Scopes":
        "Рұқсаттар",
    "Created":
        "Жасалған",
    "Last used":
        "Соңғы қолданылуы",
    "Rotate":
        "Ауыстыру",
    "Revoke":
        "Кері қайтарып алу",
    "No API keys yet.":
        "Әзірге API кілттері жоқ.",
    "New API key":
        "Жаңа API кілті",
    ("The app's backend asks the operator API for consent and data-subject "
     "requests with one of these keys (Kelisim's documentation, docs/operator-api.md)."):
        ("Қолданбаның бэкенді оператор API-інен келісімдер мен дербес деректер "
         "субъектілерінің сұрауларын осы кілттердің бірімен сұрайды "
         "(Kelisim құжаттамасы, docs/operator-api.md)."),
    "New key {id}:":
        "Жаңа кілт {id}:",
    ("shown once: keep it in the backend's secret store. Only its hash is kept "
     "here."):
        ("бір рет көрсетіледі: оны бэкендтің құпиялар қоймасында сақтаңыз. Мұнда "
         "тек оның хеші сақталады."),
    "rotated {when}, replaced by {id}":
        "{when} ауыстырылды, орнына {id}",
    "revoked {when}":
        "{when} кері қайтарылды",
    "reads the current consent of an install":
        "орнатудың ағымдағы келісімін оқиды",
    "reads data-subject requests and their status":
        "дербес деректер субъектілерінің сұраулары мен олардың күйін оқиды",
    "resolves or refuses data-subject requests":
        "дербес деректер субъектілерінің сұрауларын орындайды немесе бас тартады",
    "links installs to the backend's signed-in users and unlinks them":
        "орнатуларды бэкендке кірген пайдаланушылармен байланыстырады және ажыратады",
    ("This form was sent before and created key {id} then. A key is shown only once: if "
     "it was not copied, rotate it."):
        ("Бұл форма бұрын жіберілген және сол кезде {id} кілтін жасаған. Кілт тек бір рет "
         "көрсетіледі: егер ол көшірілмесе, оны ауыстырыңыз (ротация)."),
    "Name the key: one line of readable text, at most 100 characters.":
        "Кілтке ат беріңіз: оқылатын мәтіннің бір жолы, 100 таңбадан аспайды.",
    "Choose at least one scope.":
        "Кемінде бір рұқсатты таңдаңыз.",
    ("Rotating makes a new key with the same name and scopes and refuses the old "
     "one at once."):
        ("Ауыстыру сол атауы мен рұқсаттары бар жаңа кілт жасайды, ал ескісі "
         "бірден қабылданбайды."),
    "key_revoked":
        "Бұл API кілті бұрын кері қайтарылған.",
    "Store purposes (TOML: apple, play)":
        "Дүкендерге арналған мақсаттар (TOML: apple, play)",
    "Store labels (TOML: apple, play, linked, tracking, ephemeral)":
        "Дүкендерге арналған белгілер (TOML: apple, play, linked, tracking, ephemeral)",
    "scopes": "құқықтар",
    "new key": "жаңа кілт",
    "importer's notes": "импорт ескертпелері",
    "purposes": "мақсаттар",
    "vendors": "жеткізушілер",
    "data categories": "дерек санаттары",
    "permissions": "рұқсаттар",
    "(no label yet)": "(белгі әлі жоқ)",
    "The app in the stores":
        "Дүкендердегі қолданба",
    ("What Google Play's Data safety form asks of the whole app. Empty URLs are left out "
     "of the labels; tracking domains are edited as TOML (app details)."):
        ("Google Play-дің «Деректер қауіпсіздігі» формасы бүкіл қолданба туралы сұрайтын "
         "мәліметтер. Бос мекенжайлар белгілерге кірмейді; қадағалау домендері TOML-да "
         "(қолданба деректері) өңделеді."),
    "All user data the app collects is encrypted in transit":
        "Қолданба жинайтын пайдаланушылардың барлық деректері берілу кезінде шифрланады",
    "Account deletion URL (https)":
        "Тіркелгіні жою бетінің мекенжайы (https)",
    "Data deletion URL (https)":
        "Деректерді жою бетінің мекенжайы (https)",
    "Your own name for it (e.g. camera), not Android's permission string":
        "Өзіңіз берген атау (мысалы, camera), Android рұқсатының жолы емес",
    "imp_note_pdf": "PDF мәтіні алынып, Markdown-ға түрлендірілді: әр тілдегі мәтінді "
                    "«{documents}» бөлімінде оқып шығыңыз.",
    "imp_note_docx": "Word файлы Markdown-ға түрлендірілді: әр тілдегі мәтінді "
                     "«{documents}» бөлімінде оқып шығыңыз.",
    "imp_note_text": "Қарапайым мәтін Markdown-ға түрлендірілді: әр тілдегі мәтінді "
                     "«{documents}» бөлімінде оқып шығыңыз.",
    "imp_note_blank_pages": "{pages} беттерінде мәтін жоқ (сканер ме?), олар өткізіліп "
                            "жіберілді: ештеңе жоғалмағанын тексеріңіз.",
    "imp_note_split": "Файл {n} тілге бөлінді ({tags}): әрқайсысы «{documents}» бөліміндегі "
                      "жеке құжат.",
    "imp_note_label_stated": "«{label}» — мәтін атаған нұсқа: {stated}.",
    "imp_note_label_date": "«{label}» мәтіндегі күннен ұсынылды: {date} (мәтін нұсқаны "
                           "атамайды); оны қалдырыңыз немесе нұсқа нөмірін жазыңыз.",
    "imp_note_date": "Мәтінде {date} күні көрсетілген: ол күшіне ену күні ретінде "
                     "ұсынылды, бірақ қолданылмады. Нұсқа жарияланған кезде күшіне енеді; "
                     "кейінге жоспарлау үшін «{effective}» өрісін толтырыңыз.",
    "imp_note_summary": "Бұл {previous} нұсқасының жаңартуы: «{documents}» бөлімінде әр "
                        "тілді ашып, «{summary}» өрісін толтырыңыз.",
    "imp_note_store": "Дүкен белгілері: мәтін мына деректер түрлерін атайды: {ids}. Олар "
                      "үшін ештеңе толтырылмаған: «{structure}» формасында әр дерек санатына "
                      "оның дүкендік түрлерін «{box}» өрісінде көрсетіңіз. Ұсыныс: "
                      "{proposals}.",
    "imp_note_locale": "«{language}» {locale}: мәтін {locale} емес, {what} тіліне ұқсайды; "
                       "файлды тексеріңіз.",
    ("No summary of what changed is written in this language: the phone shows “—” here. "
     "Write it under Documents."):
        ("Бұл тілде не өзгергені жазылмаған: телефон мұнда «—» көрсетеді. Оны «Құжаттар» "
         "бөлімінде жазыңыз."),
    "Draft #{id} was published as version {label}: it is no longer a draft.":
        "№{id} жоба {label} нұсқасы ретінде жарияланды: ол енді жоба емес.",
    "Transparency log": "Ашықтық журналы",
    "Log size": "Журнал көлемі",
    "Leaf index": "Жапырақ нөмірі",
    "Newest checkpoint": "Соңғы бақылау нүктесі",
    "Download the record's proof": "Жазбаның дәлелін жүктеп алу",
    "Download the request's proof": "Сұраудың дәлелін жүктеп алу",
    "link": "пайдаланушыға байланыстыру",
    "unlink": "пайдаланушыдан ажырату",
    ("Each file names the signed version it was made from, in this line (kept in "
     "English: the check reads it):"):
        ("Әр файл өзі жасалған қол қойылған нұсқаны осы жолмен атайды "
         "(ол ағылшынша қалады: оны тексеру оқиды):"),
    "Witnesses": "Куәгерлер",
    "Witness": "Куәгер",
    "Last cosigned size": "Соңғы қол қойылған көлем",
    "Newest checkpoint cosigned": "Соңғы бақылау нүктесіне қол қойды",
    "Problem": "Мәселе",
    "not yet": "әлі жоқ",
    "No witness has answered yet.": "Әзірге ешбір куәгер жауап бермеді.",
    "Valid values and an example": "Рұқсат етілген мәндер және мысал",
    ("linked: true or false (required); tracking, ephemeral: true or false (false "
     "when left out)."):
        ("linked: true немесе false (міндетті); tracking, ephemeral: true немесе false "
         "(көрсетілмесе, false)."),
}
