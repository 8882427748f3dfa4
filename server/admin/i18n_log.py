"""The console's transparency-log page (server/admin/views/log.py, templates/admin/log.html
and _log.html) in English codes, Russian and Kazakh; i18n_texts.py merges them with the
rest. Terms: a log's *entry* is "элемент" in both (a consent *record* is "запись",
"жазба"), a *leaf* "лист", "жапырақ", a *checkpoint* "контрольная точка", "бақылау
нүктесі", as on a record's page."""

from __future__ import annotations

__all__ = ["LOG_EN", "LOG_KK", "LOG_RU"]

LOG_EN: dict[str, str] = {
    "log_no_checkpoint": "The log has no signed checkpoint yet: nothing to download.",
    "log_unknown_id": "No record or request of this app has this id.",
    "log_both_kinds": "A record and a request of this app both have this id: choose which.",
    "log_not_covered": "No signed checkpoint covers it yet: try again after the next one.",
}

_INTRO = ("Every consent record and data-subject request of the app is a leaf of its log, in "
          "order: a signed checkpoint fixes them all, and witnesses cosign it. Anyone can "
          "check the log from its public files; the entries themselves are personal data.")
_PERSONAL = ("The entry bundles hold every leaf's salt with the record or request it hashes: "
             "personal data. Keep the file as you keep the consent log itself; each download "
             "is recorded in the admin audit log.")
_WHERE = ("A record's id is on its page in the consent log; a request's is in the requests "
          "queue and in the entry bundles. Anyone the file is given to can check that this "
          "entry is in the log.")
_POLICY = ("Every root and manifest this server signed, of every app, is an entry of one "
           "policy log: every policy a device was shown can be counted.")

LOG_RU: dict[str, str] = {
    "log_no_checkpoint": ("У журнала ещё нет подписанной контрольной точки: скачивать "
                          "нечего."),
    "log_unknown_id": "Ни у одной записи или запроса этого приложения нет такого id.",
    "log_both_kinds": ("Такой id есть и у записи, и у запроса этого приложения: выберите "
                       "нужное."),
    "log_not_covered": ("Его ещё не покрывает ни одна подписанная контрольная точка: "
                        "повторите после следующей."),
    _INTRO: ("Каждая запись о согласии и каждый запрос субъекта данных этого приложения — "
             "лист его журнала, по порядку: подписанная контрольная точка фиксирует их все, "
             "свидетели подписывают её вместе с сервером. Любой может проверить журнал по "
             "его открытым файлам; сами элементы журнала — персональные данные."),
    _PERSONAL: ("Пакеты элементов содержат соль каждого листа вместе с записью или запросом, "
                "от которых он вычислен: это персональные данные. Храните файл так же, как "
                "сам журнал согласий; каждое скачивание записывается в журнал действий."),
    _WHERE: ("Id записи есть на её странице в журнале согласий, id запроса — в очереди "
             "запросов и в пакетах элементов. Любой, кому передадут файл, может проверить, "
             "что этот элемент есть в журнале."),
    _POLICY: ("Каждый корень и манифест, подписанный этим сервером, для всех приложений — "
              "элемент одного журнала политик: каждую политику, показанную устройству, можно "
              "пересчитать."),
    "Anyone can check the log from these files with:":
        "Любой может проверить журнал по этим файлам командой:",
    "Checkpoint": "Контрольная точка",
    "Download the entry bundles": "Скачать пакеты элементов",
    "Download the proof": "Скачать доказательство",
    "Entries": "Элементы",
    "Entries and proofs": "Элементы и доказательства",
    "Entry index": "Номер элемента",
    "Id of the record or request": "Id записи или запроса",
    "Log key": "Ключ журнала",
    "No checkpoint yet: nothing to download.": "Контрольной точки ещё нет: скачивать нечего.",
    "None yet.": "Пока нет.",
    "Origin": "Имя журнала (origin)",
    "Policy log": "Журнал политик",
    "Proof of a record or request": "Доказательство записи или запроса",
    "Public files": "Открытые файлы",
    "Records": "Записи",
    "Records and requests": "Записи и запросы",
    "Roots": "Корни",
    "The newest {shown} of {total}.": "Последние {shown} из {total}.",
    "This app's manifests": "Манифесты этого приложения",
    "Tiles": "Плитки (tiles)",
    "Unpacked, they are checked against the public log with:":
        "После распаковки они сверяются с открытым журналом командой:",
    "request": "запрос",
    "tree size": "размер дерева",
}

LOG_KK: dict[str, str] = {
    "log_no_checkpoint": ("Журналда әлі қол қойылған бақылау нүктесі жоқ: жүктеп алатын "
                          "ештеңе жоқ."),
    "log_unknown_id": "Бұл қолданбаның мұндай id-і бар жазбасы да, сұрауы да жоқ.",
    "log_both_kinds": ("Бұл id қолданбаның жазбасында да, сұрауында да бар: қайсысы керек "
                       "екенін таңдаңыз."),
    "log_not_covered": ("Оны әлі ешбір қол қойылған бақылау нүктесі қамтымайды: келесісінен "
                        "кейін қайталаңыз."),
    _INTRO: ("Қолданбаның әр келісім жазбасы мен дерек субъектісінің әр сұрауы — оның "
             "журналының кезекті жапырағы: қол қойылған бақылау нүктесі олардың бәрін "
             "бекітеді, куәгерлер оған қосымша қол қояды. Журналды оның ашық файлдары "
             "бойынша кез келген адам тексере алады; журнал элементтерінің өзі — дербес "
             "деректер."),
    _PERSONAL: ("Элементтер топтамаларында әр жапырақтың тұзы және ол есептелген жазба не "
                "сұрау бар: бұл дербес деректер. Файлды келісімдер журналының өзін "
                "сақтағандай сақтаңыз; әр жүктеп алу әрекеттер журналына жазылады."),
    _WHERE: ("Жазбаның id-і келісімдер журналындағы оның бетінде, сұраудың id-і сұраулар "
             "кезегінде және элементтер топтамаларында. Файлды алған кез келген адам бұл "
             "элементтің журналда бар екенін тексере алады."),
    _POLICY: ("Осы сервер қол қойған әр түбір мен манифест, барлық қолданбалар үшін, бір "
              "саясаттар журналының элементі: құрылғыға көрсетілген әр саясатты санауға "
              "болады."),
    "Anyone can check the log from these files with:":
        "Журналды осы файлдар бойынша кез келген адам мына командамен тексере алады:",
    "Checkpoint": "Бақылау нүктесі",
    "Download the entry bundles": "Элементтер топтамаларын жүктеп алу",
    "Download the proof": "Дәлелді жүктеп алу",
    "Entries": "Элементтер",
    "Entries and proofs": "Элементтер мен дәлелдер",
    "Entry index": "Элемент нөмірі",
    "Id of the record or request": "Жазбаның немесе сұраудың id-і",
    "Log key": "Журнал кілті",
    "No checkpoint yet: nothing to download.":
        "Бақылау нүктесі әлі жоқ: жүктеп алатын ештеңе жоқ.",
    "None yet.": "Әзірге жоқ.",
    "Origin": "Журнал атауы (origin)",
    "Policy log": "Саясаттар журналы",
    "Proof of a record or request": "Жазбаның немесе сұраудың дәлелі",
    "Public files": "Ашық файлдар",
    "Records": "Жазбалар",
    "Records and requests": "Жазбалар мен сұраулар",
    "Roots": "Түбірлер",
    "The newest {shown} of {total}.": "{total} ішінен соңғы {shown}.",
    "This app's manifests": "Осы қолданбаның манифестері",
    "Tiles": "Тақташалар (tiles)",
    "Unpacked, they are checked against the public log with:":
        "Архивтен шығарылған соң олар ашық журналмен мына командамен салыстырылады:",
    "request": "сұрау",
    "tree size": "ағаш көлемі",
}
