"""The console's texts in Russian, second part: the pages and messages added since the first
part (i18n_ru.py) reached the module size limit. i18n_texts.py merges both."""

from __future__ import annotations

__all__ = ["RU_MORE"]

RU_MORE: dict[str, str] = {
    'format':
        'формат',
    'filters':
        'фильтры',
    'IP address':
        'IP-адрес',
    'reason':
        'причина',
    'install':
        'установка',
    'kind':
        'тип',
    'note':
        'примечание',
    'forced':
        'принудительно',
    'version':
        'версия',
    'roles':
        'роли',
    'new keys':
        'новые ключи',
    're-signed':
        'переподписаны',
    'skipped':
        'пропущены',
    'name':
        'название',
    'published without titles':
        'опубликовано без названий',
    'time zone':
        'часовой пояс',
    'since':
        'с',
    'action':
        'действие',
    'record':
        'запись',
    'from date':
        'с даты',
    'to date':
        'по дату',
    'unknown account':
        'неизвестная учётная запись',
    'account disabled':
        'учётная запись отключена',
    'wrong password':
        'неверный пароль',
    'version {label}':
        'версия {label}',
    'the file {name}':
        'файл {name}',
    # Форма целей, поставщиков, категорий данных и разрешений черновика.
    "Purposes, vendors, data categories and permissions":
        "Цели, поставщики, категории данных и разрешения",
    "Purpose {n}": "Цель {n}", "Add a purpose": "Добавить цель", "Id": "Идентификатор",
    "Required (not optional for the user)": "Обязательная (пользователь не может отказаться)",
    "Title": "Название", "Description": "Описание", "Vendor {n}": "Поставщик {n}",
    "Add a vendor": "Добавить поставщика",
    "Country (two letters, e.g. US)": "Страна (две буквы, например US)",
    "Privacy policy URL": "Адрес политики конфиденциальности",
    "Data category {n}": "Категория данных {n}", "Add a data category": "Добавить категорию",
    "Permission {n}": "Разрешение {n}", "Add a permission": "Добавить разрешение",
    "Rationale": "Зачем нужно", "Move up": "Выше", "Move down": "Ниже", "Remove": "Удалить",
    "(not in this draft)": "(нет в этом черновике)", "none yet": "пока нет",
    "Save these lists": "Сохранить эти списки",
    "Not saved yet: press “Save these lists” to keep these changes.":
        "Ещё не сохранено: нажмите «Сохранить эти списки», чтобы сохранить изменения.",
    "Nothing was saved. Correct these fields:": "Ничего не сохранено. Исправьте эти поля:",
    "Languages side by side are the draft's documents. Add a language under Documents to "
    "give its texts.":
        "Рядом показаны языки документов черновика. Чтобы добавить тексты на другом языке, "
        "добавьте язык в разделе «Документы».",
    "Edit as TOML (purposes and app details)": "Править как TOML (цели и сведения о приложении)",
    "The same data as the lists below; saving here replaces them.":
        "Те же данные, что в списках ниже; сохранение здесь заменяет их.",
    "Google Consent Mode signal {signal}": "сигнал Google Consent Mode {signal}",
    "structure_in_use": "{what} нельзя удалить: его использует {users}. Сначала снимите "
                        "отметку там.",
    "structure_unknown_ref": "{where}: в разделе «{section}» нет {id}; добавьте его туда или "
                             "снимите отметку.",
    "structure_consent_mode": "Сигнал Google Consent Mode {signal} ссылается на цель {id}, "
                              "которой нет в списке; оставьте эту цель или измените сигнал в "
                              "version.toml.",
    "structure_required": "обязательное поле.",
    "structure_not_id": "используйте строчные латинские буквы, цифры, «-», «_» или «.» (не "
                        "более 64), например delivery.",
    "structure_not_country": "двухбуквенный код страны, например KZ или US.",
    "structure_not_url": "это не веб-адрес (https://...).",
    "structure_duplicate": "идентификатор {id} встречается дважды; у каждого должен быть свой.",
    "structure_one_purpose": "у версии должна быть хотя бы одна цель.",
    "structure_bad_locale": "неизвестный язык; используйте kk, ru, en, uz или ky.",
    "structure_length": "слишком длинно или пусто.",
    # issue 18: creating an app, a draft's base, confirming publish and discard
    "app_exists":
        "Приложение с таким ID уже есть; выберите другой ID.",
    "base_not_offered":
        "Эту версию нельзя скопировать в новый черновик; обновите страницу приложения и выберите "
        "снова.",
    "confirm_publish":
        "Отметьте поле, где сказано, что произойдёт: публикацию нельзя отменить.",
    "confirm_discard":
        "Отметьте поле, где сказано, что произойдёт: удаление черновика нельзя отменить.",
    "in force":
        "действует",
    "a new text, not a copy of a published version":
        "новый текст, не копия опубликованной версии",
    "Version {label} will be published and take effect on {when}; this cannot be undone.":
        "Версия {label} будет опубликована и вступит в силу {when}; это нельзя отменить.",
    "Version {label} will be published and take effect at once; this cannot be undone.":
        "Версия {label} будет опубликована и сразу вступит в силу; это нельзя отменить.",
    "Draft #{id} will be discarded; this cannot be undone.":
        "Черновик №{id} будет удалён; это нельзя отменить.",
    "The app is registered.":
        "Приложение зарегистрировано.",
    "Next, give it its first version: upload its privacy policy (New draft from a file, below), "
    "or write the first draft in the console. Then publish it.":
        "Теперь создайте его первую версию: загрузите политику конфиденциальности («Черновик из "
        "файла» ниже) или напишите первый черновик в консоли. Затем опубликуйте её.",
    "Write the first draft":
        "Написать первый черновик",
    "New draft, a copy of":
        "Новый черновик — копия",
    "New draft from this version":
        "Черновик из этой версии",
    "New app":
        "Новое приложение",
    "No apps yet. An owner creates one here (New app), or registers one with `kelisim apps "
    "create APP_DIR`.":
        "Приложений пока нет. Владелец создаёт его здесь («Новое приложение») или регистрирует "
        "командой `kelisim apps create APP_DIR`.",
    "The app's identity and its controller (the company responsible for the data), as app.toml "
    "holds them. The controller's details are signed into every version; later changes go "
    "through a draft.":
        "Данные приложения и его оператора (компании, отвечающей за данные), как их хранит "
        "app.toml. Сведения об операторе подписываются в каждой версии; позже они меняются через "
        "черновик.",
    "Form":
        "Форма",
    "App id":
        "ID приложения",
    "Lower-case letters, digits, '-', '_' and '.', e.g. kz.jana_courier; it cannot change later.":
        "Строчные латинские буквы, цифры, «-», «_» и «.», например kz.jana_courier; позже его не "
        "изменить.",
    "Display name":
        "Отображаемое название",
    "Controller (company name)":
        "Оператор (название компании)",
    "Company number":
        "Регистрационный номер компании",
    "KZ: BIN, 12 digits · UZ: TIN (STIR), 9 digits · KG: INN, 14 digits":
        "KZ: БИН, 12 цифр · UZ: ИНН (СТИР), 9 цифр · KG: ИНН, 14 цифр",
    "Contact e-mail":
        "Эл. почта для связи",
    "Deadline for data-subject requests (days)":
        "Срок ответа на запросы субъектов данных (дней)",
    "Create the app":
        "Создать приложение",
    "TIN (STIR)":
        "ИНН (СТИР)",
    "INN":
        "ИНН",
    "must be a lowercase id (letters, digits, '-', '_', '.'; at most 64)":
        "должен быть ID из строчных букв (буквы, цифры, «-», «_», «.»; не длиннее 64)",
    "Length must be between 1 and 200.":
        "Длина — от 1 до 200 символов.",
    "Length must be between 1 and 500.":
        "Длина — от 1 до 500 символов.",
    "must be an ISO 3166 two-letter code such as KZ":
        "должен быть двухбуквенный код ISO 3166, например KZ",
    "Not a valid email address.":
        "Это не адрес эл. почты.",
    "Must be one of: kk, ru, en, uz, ky.":
        "Должно быть одним из: kk, ru, en, uz, ky.",
    "must be 12 digits (BIN)":
        "должен состоять из 12 цифр (БИН)",
    "must be 9 digits (TIN (STIR))":
        "должен состоять из 9 цифр (ИНН (СТИР))",
    "must be 14 digits (INN)":
        "должен состоять из 14 цифр (ИНН)",
    "is not a valid 12-digit BIN (check digit fails)":
        "не является верным БИН (не сходится контрольная цифра)",
    "must be 1 to 64 characters":
        "должен содержать от 1 до 64 символов",
    "Must be greater than or equal to 1 and less than or equal to 365.":
        "Должно быть от 1 до 365.",
    "nothing: the first version, written in the console":
        "ничего: первая версия, написанная в консоли",
    "Every language the console publishes has a document in this draft.":
        "В черновике есть документ на каждом языке, который публикует консоль.",
    ("If a key may have leaked, rotate it at once with the command above: --new manifest or "
     "--new receipt for those keys, --new root (signed with a threshold of the other root keys) "
     "for a root key. Then give the new keys to every other node and export the static files "
     "again."):
        "Если ключ мог утечь, сразу замените его командой выше: --new manifest или --new "
        "receipt для этих ключей, --new root (подписывается пороговым числом остальных "
        "корневых ключей) для корневого ключа. Затем передайте новые ключи всем остальным "
        "узлам и заново выгрузите статические файлы.",
    ("The full procedure is in the administrator's guide that comes with the server "
     "(Operations, section “Key rotation”); ask the server's administrator for it."):
        "Полная процедура описана в руководстве администратора, которое поставляется с "
        "сервером (раздел «Operations», подраздел «Key rotation»); попросите его у "
        "администратора сервера.",
    "{n} characters":
        "{n} симв.",
    ("{chars} characters; {bytes} of the {limit} bytes a document may have in UTF-8 "
     "(MAX_DOCUMENT_BYTES)."):
        "{chars} симв.; {bytes} из {limit} байт, допустимых для документа в UTF-8 "
        "(MAX_DOCUMENT_BYTES).",
    "The importer's notes":
        "Заметки импорта",
    ("kept with this draft and in the audit log; they are not published and do not become the "
     "version's history note"):
        "хранятся с черновиком и в журнале действий; они не публикуются и не становятся "
        "заметкой версии в истории",
    "Store labels":
        "Метки магазинов",
    "store labels":
        "метки магазинов",
    ("What the App Store and Google Play pages say about this version, made from its signed "
     "policy. Data types are named in English, as the stores' forms name them."):
        ("Что страницы App Store и Google Play говорят об этой версии, по её подписанной "
         "политике. Типы данных названы по-английски, как их называют формы магазинов."),
    "Not mapped yet":
        "Ещё не сопоставлено",
    "Files":
        "Файлы",
    "The files are made once every data category and purpose is mapped.":
        "Файлы создаются, когда сопоставлены все категории данных и цели.",
    (
        "Check them in your app's CI with: kelisim labels {app} "
        "--python-runtime --check DIR (these files carry CPython's "
        "required-reason entries; without them, drop --python-runtime)"
    ):
        (
            "Проверяйте их в CI приложения: kelisim labels {app} --python-runtime "
            "--check DIR (в этих файлах есть записи required-reason для CPython; "
            "без них уберите --python-runtime)"
        ),
    "This draft changes your Play Data safety answers:":
        "Этот черновик меняет ваши ответы в разделе «Безопасность данных» Google Play:",
    "This draft changes your App Store privacy details:":
        "Этот черновик меняет сведения о конфиденциальности в App Store:",
    ("After publishing, download the new files from the version's store labels page and upload "
     "them to the stores."):
        ("После публикации скачайте новые файлы на странице меток магазинов этой версии и "
         "загрузите их в магазины."),
    "Refused: marked {s}, but these store label changes require minor or major:":
        "Отклонено: отмечено {s}, но эти изменения меток магазинов требуют minor или major:",
    "API keys":
        "API-ключи",
    "API key":
        "API-ключ",
    "Scopes":
        "Права",
    "Created":
        "Создан",
    "Last used":
        "Последнее использование",
    "Rotate":
        "Заменить",
    "Revoke":
        "Отозвать",
    "No API keys yet.":
        "API-ключей пока нет.",
    "New API key":
        "Новый API-ключ",
    ("The app's backend asks the operator API for consent and data-subject "
     "requests with one of these keys (Kelisim's documentation, docs/operator-api.md)."):
        ("Бэкенд приложения запрашивает у API оператора согласия и запросы "
         "субъектов данных с одним из этих ключей (документация Kelisim, "
         "docs/operator-api.md)."),
    "New key {id}:":
        "Новый ключ {id}:",
    ("shown once: keep it in the backend's secret store. Only its hash is kept "
     "here."):
        ("показан один раз: сохраните его в хранилище секретов бэкенда. Здесь "
         "хранится только его хеш."),
    "rotated {when}, replaced by {id}":
        "заменён {when} ключом {id}",
    "revoked {when}":
        "отозван {when}",
    "reads the current consent of an install":
        "читает текущее согласие установки",
    "reads data-subject requests and their status":
        "читает запросы субъектов данных и их статус",
    "resolves or refuses data-subject requests":
        "выполняет запросы субъектов данных или отказывает в них",
    "links installs to the backend's signed-in users and unlinks them":
        "связывает установки с вошедшими пользователями бэкенда и отвязывает их",
    ("This form was sent before and created key {id} then. A key is shown only once: if "
     "it was not copied, rotate it."):
        ("Эта форма уже отправлялась и тогда создала ключ {id}. Ключ показывается только "
         "один раз: если его не скопировали, замените его (ротация)."),
    "Name the key: one line of readable text, at most 100 characters.":
        "Назовите ключ: одна строка читаемого текста, не более 100 символов.",
    "Choose at least one scope.":
        "Выберите хотя бы одно право.",
    ("Rotating makes a new key with the same name and scopes and refuses the old "
     "one at once."):
        ("Замена создаёт новый ключ с тем же названием и правами, а старый сразу "
         "перестаёт приниматься."),
    "key_revoked":
        "Этот API-ключ уже отозван.",
    "Store purposes (TOML: apple, play)":
        "Цели для магазинов (TOML: apple, play)",
    "Store labels (TOML: apple, play, linked, tracking, ephemeral)":
        "Метки для магазинов (TOML: apple, play, linked, tracking, ephemeral)",
    "scopes": "права",
    "new key": "новый ключ",
    "importer's notes": "заметки импорта",
    "purposes": "цели",
    "vendors": "поставщики",
    "data categories": "категории данных",
    "permissions": "разрешения",
    "(no label yet)": "(метки ещё нет)",
    "The app in the stores":
        "Приложение в магазинах",
    ("What Google Play's Data safety form asks of the whole app. Empty URLs are left out "
     "of the labels; tracking domains are edited as TOML (app details)."):
        ("То, что форма Google Play «Безопасность данных» спрашивает о приложении в целом. "
         "Пустые адреса в метки не попадают; домены отслеживания правятся в TOML (данные "
         "приложения)."),
    "All user data the app collects is encrypted in transit":
        "Все данные пользователей, которые собирает приложение, шифруются при передаче",
    "Account deletion URL (https)":
        "Адрес страницы удаления аккаунта (https)",
    "Data deletion URL (https)":
        "Адрес страницы удаления данных (https)",
    "Your own name for it (e.g. camera), not Android's permission string":
        "Ваше собственное название (например, camera), а не строка разрешения Android",
    "imp_note_pdf": "Текст PDF извлечён и преобразован в Markdown: прочитайте текст на "
                    "каждом языке в разделе «{documents}».",
    "imp_note_docx": "Файл Word преобразован в Markdown: прочитайте текст на каждом языке в "
                     "разделе «{documents}».",
    "imp_note_text": "Простой текст преобразован в Markdown: прочитайте текст на каждом языке "
                     "в разделе «{documents}».",
    "imp_note_blank_pages": "На страницах {pages} нет текста (скан?), они пропущены: "
                            "проверьте, что ничего не потеряно.",
    "imp_note_split": "Файл разделён на {n} языка(ов) ({tags}): каждый — отдельный документ "
                      "в разделе «{documents}».",
    "imp_note_label_stated": "«{label}» — версия, которую называет текст: {stated}.",
    "imp_note_label_date": "«{label}» предложена по дате из текста: {date} (версию текст не "
                           "называет); оставьте её или укажите номер версии.",
    "imp_note_date": "В тексте указана дата {date}: она предложена как дата вступления в "
                     "силу, но не применена. Версия вступает в силу при публикации; чтобы "
                     "назначить её на потом, заполните «{effective}».",
    "imp_note_summary": "Это обновление версии {previous}: в разделе «{documents}» откройте "
                        "каждый язык и заполните «{summary}».",
    "imp_note_store": "Метки магазинов: текст называет такие виды данных: {ids}. Для них "
                      "ничего не заполнено: в форме «{structure}» укажите каждой категории "
                      "данных её типы для магазинов в поле «{box}». Предложение: "
                      "{proposals}.",
    "imp_note_locale": "«{language}» {locale}: текст похож на {what}, а не на {locale}; "
                       "проверьте файл.",
    ("No summary of what changed is written in this language: the phone shows “—” here. "
     "Write it under Documents."):
        ("Описание изменений на этом языке не написано: телефон покажет здесь «—». "
         "Напишите его в разделе «Документы»."),
    "Draft #{id} was published as version {label}: it is no longer a draft.":
        "Черновик №{id} опубликован как версия {label}: это больше не черновик.",
    "Transparency log": "Журнал прозрачности",
    "Log size": "Размер журнала",
    "Leaf index": "Номер листа",
    "Newest checkpoint": "Последняя контрольная точка",
    "Download the record's proof": "Скачать доказательство записи",
    "Download the request's proof": "Скачать доказательство запроса",
    "link": "привязка к пользователю",
    "unlink": "отвязка от пользователя",
    ("Each file names the signed version it was made from, in this line (kept in "
     "English: the check reads it):"):
        ("Каждый файл называет подписанную версию, из которой он "
         "сделан, этой строкой (она остаётся на английском: её читает проверка):"),
    "Witnesses": "Свидетели",
    "Witness": "Свидетель",
    "Last cosigned size": "Последний подписанный размер",
    "Newest checkpoint cosigned": "Последняя контрольная точка подписана",
    "Problem": "Проблема",
    "not yet": "ещё нет",
    "No witness has answered yet.": "Пока ни один свидетель не ответил.",
    "Valid values and an example": "Допустимые значения и пример",
    ("linked: true or false (required); tracking, ephemeral: true or false (false "
     "when left out)."):
        ("linked: true или false (обязательно); tracking, ephemeral: true или false "
         "(false, если не указано)."),
}
