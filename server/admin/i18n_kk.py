"""The console's texts in Kazakh (English is the key; message codes are keys too).

Terms kept throughout: қолданба (app, the stores' and the SDK's word), нұсқа (version),
жоба (draft), түбір (root), кілт (key), түбіртек (receipt), жазба (record), сұрау (request),
мақсат (purpose), жариялау (publish), қол қою (sign), желіден тыс (offline), заңды өкіл
(guardian). ``major``,
``minor`` and ``patch`` stay as written in policy files, with a Kazakh gloss.
"""

from __future__ import annotations

__all__ = ["KK"]

KK: dict[str, str] = {
    # Header, sign-in, password
    "Apps": "Қолданбалар", "Audit log": "Әрекеттер журналы", "Keys": "Кілттер",
    "Users": "Пайдаланушылар", "Requests": "Сұраулар", "Sign in": "Кіру",
    "Sign out": "Шығу", "E-mail": "Эл. пошта", "Password": "Құпиясөз", "console": "консоль",
    "Change password": "Құпиясөзді өзгерту", "Current password": "Ағымдағы құпиясөз",
    "New password (at least 12 characters)": "Жаңа құпиясөз (кемінде 12 таңба)",
    "Repeat the new password": "Жаңа құпиясөзді қайталаңыз",
    "You signed in with a one-time password. Choose your own to continue.":
        "Сіз бір реттік құпиясөзбен кірдіңіз. Жалғастыру үшін өз құпиясөзіңізді таңдаңыз.",
    "Your role does not allow this page.": "Рөліңіз бұл бетке рұқсат бермейді.",
    "Not found.": "Табылмады.", "Back to the apps": "Қолданбалар тізіміне оралу",
    "The form expired or did not come from this console. Go back, reload the page and try "
    "again.": "Форманың мерзімі өтті немесе ол осы консольден жіберілмеген. Артқа оралып, "
              "бетті жаңартып, қайталап көріңіз.",
    # Apps and an app
    "App": "Қолданба", "Current version": "Ағымдағы нұсқа", "Manifest": "Манифест",
    "Consent records": "Келісім жазбалары", "Open requests": "Ашық сұраулар",
    "Dashboard": "Көрсеткіштер", "Consent log": "Келісімдер журналы", "seq": "№",
    "present": "бар",
    "expires": "мерзімі бітеді",
    "No apps yet. Register one with `kelisim apps create APP_DIR`.":
        "Әзірге қолданба жоқ. Тіркеу: `kelisim apps create APP_DIR`.",
    "Controller": "Оператор", "Name": "Атауы", "BIN": "БСН", "Country": "Ел",
    "Address": "Мекенжай", "Default language": "Әдепкі тіл",
    "App details change through a draft: they are signed with the next version.":
        "Қолданба мәліметтері жоба арқылы өзгереді: оларға келесі нұсқамен бірге қол "
        "қойылады.",
    "Vendors": "Жеткізушілер", "Data categories": "Дерек санаттары",
    "Permissions": "Рұқсаттар", "Drafts": "Жобалар", "Draft": "Жоба",
    "No open drafts.": "Ашық жоба жоқ.",
    "New draft from the current version": "Ағымдағы нұсқадан жаңа жоба",
    "Policy file (.md, .txt, .docx, .pdf)": "Саясат файлы (.md, .txt, .docx, .pdf)",
    "Language": "Тіл", "detect": "анықтау", "New draft from a file": "Файлдан жаңа жоба",
    "Version history": "Нұсқалар тарихы", "Label": "Белгі", "Significance": "Маңыздылығы",
    "Effective": "Күшіне енеді", "Published": "Жарияланды", "Publisher": "Кім жариялады",
    "Languages": "Тілдер", "Notes": "Ескертпелер", "upcoming": "алдағы",
    "override": "ерекше жағдай", "Nothing published yet.": "Әзірге ештеңе жарияланған жоқ.",
    "Data-subject requests": "Дерек субъектілерінің сұраулары",
    "Deadline for answering a request: {n} days.": "Сұрауға жауап беру мерзімі: {n} күн.",
    "Deadline (days)": "Мерзім (күн)", "Save": "Сақтау",
    "major": "major (елеулі)", "minor": "minor (шағын)", "patch": "patch (түзету)",
    # Dashboard
    "Acceptance": "Келісімдер", "Version": "Нұсқа", "all": "барлығы", "From": "Қашаннан",
    "To": "Қашанға", "Show": "Көрсету", "prompts answered": "сұрауға жауап",
    "accepted": "қабылдады", "declined": "бас тартты", "withdrawn": "кері қайтарды",
    "of accepts": "қабылдағандардан", "choices changed": "таңдау өзгертілді",
    "notices acknowledged": "хабарламалар оқылды", "Per version": "Нұсқалар бойынша",
    "Per language": "Тілдер бойынша", "Per purpose": "Мақсаттар бойынша",
    "answered": "жауап", "accept": "қабылдау", "decline": "бас тарту",
    "withdraw": "кері қайтару", "acknowledge": "танысты", "update": "өзгерту",
    "No records yet.": "Әзірге жазба жоқ.", "Purpose": "Мақсат", "granted": "берді",
    "opt-in rate": "келісім үлесі",
    "Records per day": "Күніне жазбалар",
    "Opt-in rate per purpose and version (accepts granting it / accepts)":
        "Мақсаттар мен нұсқалар бойынша келісім үлесі "
        "(мақсатқа келісім берген қабылдаулар / қабылдаулар)",
    "Opt-in rate: of the users who accepted a version, the share who granted the purpose "
    "(accepts granting it / accepts of the version). Each version counts only its own "
    "purposes. Declines are in the accept rate above; later changes in the app's settings "
    "are counted apart.":
        "Келісім үлесі: нұсқаны қабылдаған пайдаланушылардың ішінде мақсатқа келісім "
        "бергендердің үлесі (мақсатқа келісім берген қабылдаулар / нұсқаның барлық "
        "қабылдаулары). Әр нұсқа тек өз мақсаттарын есептейді. Бас тартулар жоғарыдағы "
        "қабылдау үлесінде; қолданба баптауларындағы кейінгі өзгерістер бөлек есептеледі.",
    "offered": "ұсынылды", "switched on later": "кейін қосты",
    "switched off later": "кейін өшірді",
    # Consent log and a record
    "Install id": "Орнату ID", "Record id": "Жазба ID", "Action": "Әрекет",
    "Search": "Іздеу", "Export this search:": "Іздеу нәтижесін жүктеп алу:",
    "Received": "Алынды", "Purposes": "Мақсаттар", "Install": "Орнату", "Record": "Жазба",
    "No records match.": "Сәйкес жазба табылмады.",
    "Older records": "Ертеректегі жазбалар", "Document": "Құжат",
    "yes": "иә", "no": "жоқ", "Age confirmed": "Жасы расталды",
    "Client time": "Клиент уақыты", "Manifest seq": "Манифест №",
    "Previous hash": "Алдыңғы хеш", "Chain hash": "Тізбек хеші", "Evidence": "Дәлелдер",
    "Verify receipt and chain": "Түбіртек пен тізбекті тексеру", "Receipt": "Түбіртек",
    "receipt": "түбіртек", "receipt signature": "түбіртек қолтаңбасы",
    "receipt names the record": "түбіртекте жазба аталған",
    "link to previous record": "алдыңғы жазбамен байланыс",
    "record content matches its hash": "жазба мазмұны хешіне сәйкес",
    "link from next record": "келесі жазбадан байланыс",
    "receipt {id} is missing": "{id} түбіртегі жоқ",
    "not a receipt envelope: {error}": "түбіртек конверті емес: {error}",
    "receipt key {keys} of root version {n}": "{n}-нұсқалы түбірдің {keys} түбіртек кілті",
    "no receipt key of any root signed it":
        "оған ешбір түбірдің түбіртек кілті қол қоймаған",
    "receipt entry: seq {seq}, action {action}, chain hash {hash}…":
        "түбіртектегі жазба: № {seq}, әрекет: {action}, тізбек хеші {hash}…",
    "none for this record": "бұл жазба үшін жоқ",
    "record {n}: {hash}; this record's previous hash: {prev}":
        "{n}-жазба: {hash}; осы жазбаның алдыңғы хеші: {prev}",
    "the start of the chain": "тізбектің басы", "missing": "жоқ",
    "recomputed {a} / stored {b}": "қайта есептелген {a} / сақталған {b}",
    "this is the newest record": "бұл ең соңғы жазба",
    "record {n}, its previous hash {h}": "{n}-жазба, оның алдыңғы хеші {h}",
    "request {n}: {hash}; this record's previous hash: {prev}":
        "{n}-сұрау: {hash}; осы жазбаның алдыңғы хеші: {prev}",
    "request {n}, its previous hash {h}": "{n}-сұрау, оның алдыңғы хеші {h}",
    # Audit log
    "Who": "Кім", "When": "Қашан", "Target": "Нысан", "Details": "Толығырақ",
    "Nothing recorded yet.": "Әзірге ештеңе жазылған жоқ.", "Older": "Ертерек",
    # Drafts, diff, preview, documents
    "based on": "негізі:", "created by": "құрған:", "Diff": "Салыстыру",
    "Preview": "Алдын ала қарау", "Guard verdict": "Маңыздылық тексеруі",
    # The phone preview (server/admin/phone.py).
    "Shown to:": "Кімге көрсетіледі:",
    "First launch":
        "Алғашқы іске қосу",
    "A user who accepted {label}":
        "{label} нұсқасын қабылдаған пайдаланушы",
    "The phone cannot show this draft yet:":
        "Телефон бұл жобаны әзірге көрсете алмайды:",
    "Over the app, as a notice: their consent stands.":
        "Қолданба үстінде, хабарлама ретінде: келісім күшінде қалады.",
    "Users who accepted {label} see nothing new: a patch changes no one's consent.":
        "{label} нұсқасын қабылдағандар жаңа ештеңе көрмейді: патч ешкімнің келісімін өзгертпейді.",
    "Refused: marked {s}, but these changes require major:":
        "Қабылданбады: {s} деп белгіленген, бірақ бұл өзгерістер major талап етеді:",
    "Cannot be published yet:": "Әзірге жариялауға болмайды:",
    "Ready to publish as {s}.": "{s} ретінде жариялауға дайын.",
    "It will be upcoming until its effective time.":
        "Күшіне енгенге дейін бұл алдағы нұсқа болып тұрады.",
    "Changes that make it major:": "Оны major ететін өзгерістер:",
    "Missing translations": "Жетіспейтін аудармалар",
    "{tag}: document (the current version has one)": "{tag}: құжат (ағымдағы нұсқада бар)",
    "{tag}: summary of what changed": "{tag}: не өзгергенінің сипаттамасы",
    "{tag}: document in the app's default language": "{tag}: қолданбаның әдепкі тіліндегі құжат",
    "Publish anyway without these titles (recorded in the audit log)":
        "Бәрібір осы атауларсыз жариялау (аудит журналына жазылады)",
    "Override reason (publish anyway, recorded)":
        "Ерекше жағдай себебі (бәрібір жариялау, жазылып қалады)",
    "Schedule": "Жоспарлау", "Publish now": "Қазір жариялау", "Documents": "Құжаттар",
    "characters": "таңба", "summary": "не өзгерді", "Add a language:": "Тіл қосу:",
    "Effective (UTC; empty = when published)": "Күшіне енеді (UTC; бос = жарияланған кезде)",
    "Minimum age": "Ең төменгі жас",
    "Guardian consent under the minimum age":
        "Ең төменгі жастан кіші болса — заңды өкілдің келісімі",
    "Consent term": "Келісім мерзімі",
    "Consent term (ISO 8601, e.g. P1Y; empty = indefinite)":
        "Келісім мерзімі (ISO 8601, мысалы P1Y; бос = мерзімсіз)",
    "Transfer to third parties": "Үшінші тұлғаларға беру",
    "Cross-border transfer": "Шекара арқылы беру", "Public disclosure": "Жария ету",
    "Purposes (TOML: one [[purposes]] table each)":
        "Мақсаттар (TOML: әр мақсатқа бір [[purposes]] кестесі)",
    "App details (app.toml: controller, vendors, data categories, permissions)":
        "Қолданба мәліметтері (app.toml: оператор, жеткізушілер, дерек санаттары, рұқсаттар)",
    "Notes (kept in the version history)": "Ескертпелер (нұсқалар тарихында сақталады)",
    "Save draft": "Жобаны сақтау", "Discard draft": "Жобаны жою", "draft": "жоба",
    "Fields": "Өрістер", "Field": "Өріс", "Current": "Ағымдағы",
    "No field changed.": "Өрістер өзгерген жоқ.", "Text": "Мәтін",
    "Unchanged.": "Өзгеріссіз.", "Title (empty = the first # heading)":
        "Тақырып (бос = бірінші # тақырып)",
    "What changed (shown to users with the new version)":
        "Не өзгерді (жаңа нұсқамен бірге пайдаланушыларға көрсетіледі)",
    "Policy text (Markdown)": "Саясат мәтіні (Markdown)",
    "Remove this language": "Бұл тілді алып тастау", "Upload": "Жүктеу",
    "The file could not be imported": "Файлды импорттау мүмкін болмады", "Back to": "Қайту:",
    "Accept": "Қабылдау", "Decline": "Бас тарту", "Data": "Деректер",
    "Read the full policy": "Саясаттың толық мәтіні", "indefinite": "мерзімсіз",
    "required": "міндетті", "guardian consent below it": "одан кіші болса — заңды өкілдің "
                                                         "келісімі",
    # Keys and root
    "Keys and root": "Кілттер мен түбір",
    "A root key file is on this server. Anyone who takes this server can then sign a new "
    "root: keep root keys offline.": "Түбір кілтінің файлы осы серверде тұр. Серверді басып "
                                     "алған адам жаңа түбірге қол қоя алады: түбір кілттерін "
                                     "желіден тыс сақтаңыз.",
    "No root yet: run `kelisim keys init`.": "Түбір әлі жоқ: `kelisim keys init` орындаңыз.",
    "The root expires on {t}: sign the next root before then (see below).":
        "Түбірдің мерзімі {t} бітеді: оған дейін келесі түбірге қол қойыңыз (төменде "
        "қараңыз).",
    "The manifest of {app} expires on {t}: run `kelisim resign` (cron does it).":
        "{app} манифесінің мерзімі {t} бітеді: `kelisim resign` орындаңыз (мұны cron "
        "жасайды).",
    "Root version {n}": "Түбір, {n}-нұсқа", "Expires": "Мерзімі бітеді", "Role": "Рөл",
    "Key ids": "Кілт ID", "Threshold": "Шек", "On this server": "Осы серверде",
    "no (offline)": "жоқ (желіден тыс)", "Manifests": "Манифестер", "Issued": "Берілген",
    "Re-signed by": "Қайта қол қою мерзімі", "nothing published": "ештеңе жарияланбаған",
    "Root history": "Түбір тарихы", "signed": "қол қойылды", "Rotating keys":
        "Кілттерді ауыстыру",
    "Rotation is a command-line action: root keys should live offline, never on this server.":
        "Кілттерді ауыстыру пәрмен жолында орындалады: түбір кілттері желіден тыс "
        "сақталады, ешқашан осы серверде емес.",
    "Bring the current root keys (a threshold of them) to the machine that runs the command.":
        "Ағымдағы түбір кілттерін (шекті санын) пәрменді орындайтын компьютерге әкеліңіз.",
    "replaces the manifest key; use --new receipt or --new root for the others.":
        "манифест кілтін ауыстырады; қалғандары үшін --new receipt немесе --new root.",
    "The new root is signed by the old root keys and its own, and every manifest is "
    "re-signed; apps walk to it on their next refresh.":
        "Жаңа түбірге ескі түбір кілттері де, өз кілттері де қол қояды, әр манифестке қайта "
        "қол қойылады; қолданбалар келесі жаңартуда соған көшеді.",
    "Take the root keys offline again. Key files are in":
        "Түбір кілттерін қайтадан желіден тыс жерге алып кетіңіз. Кілт файлдары мына жерде:",
    # Requests
    "Open only": "Тек ашықтары", "Include resolved": "Жабылғандарын да көрсету",
    "Kind": "Түрі", "Request": "Сұрау", "Age": "Өткен уақыт", "Deadline": "Мерзім",
    "Resolution": "Шешім", "deletion": "жою", "{n} d": "{n} күн", "resolved": "жабылды",
    "overdue by {n} d": "{n} күнге кешікті", "{n} d left": "{n} күн қалды",
    "{n} h left": "{n} сағ қалды", "What was done": "Не істелді", "Resolve": "Жабу",
    "No open requests.": "Ашық сұрау жоқ.",
    # Users and roles
    "One-time password for {email}:": "{email} үшін бір реттік құпиясөз:",
    "shown once; they choose their own at first sign-in.":
        "бір рет көрсетіледі; алғаш кіргенде пайдаланушы өз құпиясөзін таңдайды.",
    "State": "Күйі", "Last sign-in": "Соңғы кіру", "disabled": "өшірілген",
    "active": "белсенді", "Set role": "Рөл беру", "Enable": "Қосу", "Disable": "Өшіру",
    "Reset password": "Құпиясөзді қалпына келтіру", "New user": "Жаңа пайдаланушы",
    "Create": "Құру", "owner": "иесі", "publisher": "жариялаушы", "responder": "орындаушы",
    "auditor": "аудитор", "viewer": "бақылаушы",
    "owner: users, keys, settings, audit log · publisher: drafts and publishing · responder: "
    "data-subject requests · auditor: what a viewer reads, and the transparency logs' proof "
    "files and entry bundles · viewer: reads apps, dashboards and the consent log.":
        "иесі: пайдаланушылар, кілттер, баптаулар, әрекеттер журналы · жариялаушы: жобалар "
        "мен жариялау · орындаушы: дерек субъектілерінің сұраулары · аудитор: бақылаушы "
        "оқитынның бәрі, және ашықтық журналдарының дәлел файлдары мен элементтер "
        "топтамалары · бақылаушы: қолданбаларды, "
        "көрсеткіштерді және келісімдер журналын оқиды.",
    # Message codes and form messages
    "bad_login": "Пошта немесе құпиясөз қате.",
    "throttled": "Сәтсіз әрекеттер тым көп. Бірнеше минут күтіңіз.",
    "wrong_password": "Ағымдағы құпиясөз қате.", "password_length": "Кемінде 12 таңба.",
    "passwords_differ": "Жаңа құпиясөздер сәйкес емес.",
    "password_unchanged": "Ағымдағысын емес, жаңа құпиясөз таңдаңыз.",
    "password_common": ("Бұл ең жиі қолданылатын құпиясөздердің бірі немесе солардан, атаулардан "
                        "және тізбектерден құралған: басқасын таңдаңыз."),
    "password_reused": ("Бұл соңғы құпиясөздеріңіздің бірі (немесе бір реттік құпиясөз): "
                        "жаңасын таңдаңыз."),
    "password_email": "Құпиясөз поштаңыздың мекенжайына негізделмеуі керек.",
    "password_pattern": "Бір таңбаның қайталануы, қайталанатын үлгі немесе тізбек "
                        "(123456..., qwerty...) құпиясөз емес.",
    "busy": "Бір мезгілде тым көп кіру әрекеті. Бірнеше секундтан кейін қайталаңыз.",
    "last_owner": "Консольде кемінде бір белсенді иесі қалуы керек.",
    "email_taken": "Бұл эл. поштамен пайдаланушы бұрыннан бар.",
    "bad_email": "Бұл эл. пошта мекенжайы емес.", "bad_role": "Белгісіз рөл.",
    "not_email": "Бұл эл. пошта мекенжайы емес.",
    "not_uuid": "ID емес (кіші әріптермен жазылған UUID).",
    "not_date": "Күн емес (ЖЖЖЖ-АА-КК).", "not_time": "Уақыт емес (ЖЖЖЖ-АА-ККTСС:ММ, UTC).",
    "not_duration": "ISO 8601 ұзақтығы емес (мысалы P1Y, P6M, P30D).",
    "file_required": "Файлды таңдаңыз.",
    "guard_refused": "Тексеру қабылдамады: бұл өзгерістер major нұсқасын талап етеді.",
    "no_version_to_copy": "Қолданбада жарияланған нұсқа жоқ; саясат файлын жүктеңіз.",
    "already_resolved": "Бұл сұрау бұрын жабылған.",
    "Missing data for required field.": "Міндетті өріс.",
    "Not a valid integer.": "Бүтін сан емес.",
    # issue 17: console races and inputs
    "Guardian": "Заңды өкіл", "relation": "туыстығы",
    "publish_busy":
        "{app} қолданбасының басқа жариялануы жүріп жатыр ({why}); оны көру үшін "
        "бетті жаңартып, қайта жариялаңыз",
    "access": "қол жеткізу", "rectification": "түзету", "blocking": "бұғаттау",
    "refused": "бас тартылды", "Refuse": "Бас тарту", "consent withdrawn": "келісім қайтарылды",
    "Write what was done, or why the request is refused.":
        "Не істелгенін немесе сұраудан неге бас тартылғанын жазыңыз.",
    "Only readable text: no control or direction-changing characters.":
        "Тек оқылатын мәтін: басқару және бағыт өзгертетін таңбаларсыз.",
    "Showing the {shown} with the nearest deadlines of {total}; answer these first.":
        "{total} сұраудың мерзімі ең жақын {shown} сұрауы көрсетілген; алдымен соларға "
        "жауап беріңіз.",
    "Some languages lack titles (listed above). Tick \u201cPublish anyway without these "
    "titles\u201d to publish without them.":
        "Кейбір тілдерде атаулар жоқ (тізімі жоғарыда). Оларсыз жариялау үшін «Осы "
        "атауларсыз бәрібір жариялау» белгісін қойыңыз.",
    "Version {label} is published and in force.": "{label} нұсқасы жарияланды және күшінде.",
    "Version {label} is scheduled: it takes effect {when}.":
        "{label} нұсқасы жоспарланды: {when} күшіне енеді.",
    # issue 18 (words18a): labels, time zones, evidence, audit details
    'not_time_zone':
        'Бұл тізімдегі уақыт белдеулерінің бірі емес.',
    'unknown_version':
        'Бұл қолданбада мұндай белгісі бар нұсқа жоқ: тізімнен таңдаңыз.',
    'Times: {zone}':
        'Уақыт: {zone}',
    'Times are shown in this zone; the UTC time is on hover. Change it on your account page.':
        'Уақыт осы белдеуде көрсетіледі; UTC уақыты меңзерді апарғанда шығады. Оны тіркелгі '
        'бетінде өзгертуге болады.',
    'Time zone':
        'Уақыт белдеуі',
    'The console shows times in this zone, with the UTC time when you point at one. Stored '
    'and signed times stay in UTC.':
        'Консоль уақытты осы белдеуде көрсетеді, меңзерді апарғанда — UTC уақытын. Сақталған '
        'және қол қойылған уақыт UTC-де қалады.',
    "the app's country (KZ Asia/Almaty, UZ Asia/Tashkent, KG Asia/Bishkek)":
        'қолданба елі (KZ Asia/Almaty, UZ Asia/Tashkent, KG Asia/Bishkek)',
    'Save time zone':
        'Уақыт белдеуін сақтау',
    'withdrawal (no language)':
        'кері қайтару (тілсіз)',
    'no language':
        'тілсіз',
    '{a} and {b}':
        '{a} және {b}',
    'the first layer':
        'бірінші экранды',
    'the purposes':
        'мақсаттарды',
    'the full text':
        'толық мәтінді',
    'saw {layers}':
        '{layers} көрді',
    'opened the full text':
        'толық мәтінді ашты',
    'did not open the full text':
        'толық мәтінді ашпады',
    'scrolled to the end':
        'соңына дейін айналдырды',
    'did not scroll to the end':
        'соңына дейін айналдырмады',
    '{n} s on screen':
        'экранда {n} с',
    '{n} s on {layer}':
        '{layer}: {n} с',
    'the app in {locale}':
        'қолданба {locale} тілінде',
    'No evidence reported.':
        'Дәлелдер жіберілмеген.',
    'role':
        'рөл',
    'made from':
        'негізі',
    'label':
        'белгі',
    'significance':
        'маңыздылығы',
}
