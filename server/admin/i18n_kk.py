"""The console's texts in Kazakh (English is the key; message codes are keys too).

Terms kept throughout: қосымша (app), нұсқа (version), жоба (draft), түбір (root), кілт
(key), түбіртек (receipt), жазба (record), сұрау (request), мақсат (purpose), жариялау
(publish), қол қою (sign), желіден тыс (offline), заңды өкіл (guardian). ``major``,
``minor`` and ``patch`` stay as written in policy files, with a Kazakh gloss.
"""

from __future__ import annotations

__all__ = ["KK"]

KK: dict[str, str] = {
    # Header, sign-in, password
    "Apps": "Қосымшалар", "Audit log": "Әрекеттер журналы", "Keys": "Кілттер",
    "Users": "Пайдаланушылар", "Requests": "Сұраулар", "Sign in": "Кіру",
    "Sign out": "Шығу", "E-mail": "Эл. пошта", "Password": "Құпиясөз", "console": "консоль",
    "Change password": "Құпиясөзді өзгерту", "Current password": "Ағымдағы құпиясөз",
    "New password (at least 12 characters)": "Жаңа құпиясөз (кемінде 12 таңба)",
    "Repeat the new password": "Жаңа құпиясөзді қайталаңыз",
    "You signed in with a one-time password. Choose your own to continue.":
        "Сіз бір реттік құпиясөзбен кірдіңіз. Жалғастыру үшін өз құпиясөзіңізді таңдаңыз.",
    "Your role does not allow this page.": "Рөліңіз бұл бетке рұқсат бермейді.",
    "Not found.": "Табылмады.", "Back to the apps": "Қосымшалар тізіміне оралу",
    "The form expired or did not come from this console. Go back, reload the page and try "
    "again.": "Форманың мерзімі өтті немесе ол осы консольден жіберілмеген. Артқа оралып, "
              "бетті жаңартып, қайталап көріңіз.",
    # Apps and an app
    "App": "Қосымша", "Current version": "Ағымдағы нұсқа", "Manifest": "Манифест",
    "Consent records": "Келісім жазбалары", "Open requests": "Ашық сұраулар",
    "Dashboard": "Көрсеткіштер", "Consent log": "Келісімдер журналы", "seq": "№",
    "present": "бар",
    "expires": "мерзімі бітеді",
    "No apps yet. Register one with `kelisim apps create APP_DIR`.":
        "Әзірге қосымша жоқ. Тіркеу: `kelisim apps create APP_DIR`.",
    "Controller": "Оператор", "Name": "Атауы", "BIN": "БСН", "Country": "Ел",
    "Address": "Мекенжай", "Default language": "Әдепкі тіл",
    "App details change through a draft: they are signed with the next version.":
        "Қосымша мәліметтері жоба арқылы өзгереді: оларға келесі нұсқамен бірге қол "
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
        "қабылдау үлесінде; қосымша баптауларындағы кейінгі өзгерістер бөлек есептеледі.",
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
    "{tag}: document in the app's default language": "{tag}: қосымшаның әдепкі тіліндегі құжат",
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
        "Қосымша мәліметтері (app.toml: оператор, жеткізушілер, дерек санаттары, рұқсаттар)",
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
        "қол қойылады; қосымшалар келесі жаңартуда соған көшеді.",
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
    "viewer": "бақылаушы",
    "owner: users, keys, settings, audit log · publisher: drafts and publishing · responder: "
    "data-subject requests · viewer: reads apps, dashboards and the consent log.":
        "иесі: пайдаланушылар, кілттер, баптаулар, әрекеттер журналы · жариялаушы: жобалар "
        "мен жариялау · орындаушы: дерек субъектілерінің сұраулары · бақылаушы: "
        "қосымшаларды, көрсеткіштерді және келісімдер журналын оқиды.",
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
    "no_version_to_copy": "Қосымшада жарияланған нұсқа жоқ; саясат файлын жүктеңіз.",
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
        "TOML ретінде өңдеу (мақсаттар және қосымша туралы мәліметтер)",
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
        "Бұл ID-мен қосымша бар; басқа ID таңдаңыз.",
    "base_not_offered":
        "Бұл нұсқаны жаңа жобаға көшіру мүмкін емес; қосымша бетін жаңартып, қайта таңдаңыз.",
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
        "Қосымша тіркелді.",
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
        "Жаңа қосымша",
    "No apps yet. An owner creates one here (New app), or registers one with `kelisim apps "
    "create APP_DIR`.":
        "Әзірге қосымша жоқ. Иесі оны осында жасайды («Жаңа қосымша») немесе `kelisim apps "
        "create APP_DIR` командасымен тіркейді.",
    "The app's identity and its controller (the company responsible for the data), as app.toml "
    "holds them. The controller's details are signed into every version; later changes go "
    "through a draft.":
        "Қосымшаның деректері және оның операторы (деректерге жауапты компания), app.toml "
        "сақтайтындай. Оператор туралы мәліметтер әр нұсқаға қол қойылып енеді; кейінгі "
        "өзгерістер жоба арқылы жасалады.",
    "Form":
        "Пішін",
    "App id":
        "Қосымша ID-і",
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
        "Қосымшаны жасау",
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
     "policy. Data types and purposes are named as the stores' forms name them."):
        ("App Store және Google Play беттері осы нұсқа туралы не айтады, оның қол қойылған "
         "саясатынан жасалған. Деректер түрлері мен мақсаттар дүкендердің формаларындағыдай "
         "аталған."),
    "Not mapped yet":
        "Әлі сәйкестендірілмеген",
    "Files":
        "Файлдар",
    "The files are made once every data category and purpose is mapped.":
        "Файлдар барлық деректер санаттары мен мақсаттар сәйкестендірілгенде жасалады.",
    "Check them in your app's CI with: kelisim labels {app} --check DIR":
        "Оларды қосымшаның CI-інде тексеріңіз: kelisim labels {app} --check DIR",
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
     "requests with one of these keys (docs/operator-api.md)."):
        ("Қосымшаның бэкенді оператор API-інен келісімдер мен дербес деректер "
         "субъектілерінің сұрауларын осы кілттердің бірімен сұрайды "
         "(docs/operator-api.md)."),
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
    "links installs to the backend's users (not used by any endpoint yet)":
        ("орнатуларды бэкенд пайдаланушыларымен байланыстырады (әзірге ешбір әдіс "
         "қолданбайды)"),
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
}
