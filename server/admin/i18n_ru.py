"""The console's texts in Russian (English is the key; message codes are keys too)."""

from __future__ import annotations

__all__ = ["RU"]

RU: dict[str, str] = {
    "Accept": "Принять", "Acceptance": "Согласия", "Action": "Действие",
    "Add a language:": "Добавить язык:", "Address": "Адрес", "Age": "Возраст",
    "Age confirmed": "Возраст подтверждён", "App": "Приложение",
    "App details (app.toml: controller, vendors, data categories, permissions)":
        "Сведения о приложении (app.toml: оператор, поставщики, категории данных, разрешения)",
    "App details change through a draft: they are signed with the next version.":
        "Сведения о приложении меняются через черновик: они подписываются со следующей версией.",
    "Apps": "Приложения", "Audit log": "Журнал действий", "BIN": "БИН", "Back to": "Назад к",
    "Back to the apps": "К списку приложений",
    "Bring the current root keys (a threshold of them) to the machine that runs the command.":
        "Принесите текущие корневые ключи (пороговое число) на машину, где выполняется команда.",
    "Cannot be published yet:": "Пока нельзя опубликовать:", "Chain hash": "Хеш цепочки",
    "Change password": "Сменить пароль",
    "Changes that make it major:": "Изменения, требующие major:",
    "Client time": "Время клиента", "Consent log": "Журнал согласий",
    "Consent records": "Записи согласий", "Consent term": "Срок согласия",
    "Consent term (ISO 8601, e.g. P1Y; empty = indefinite)":
        "Срок согласия (ISO 8601, например P1Y; пусто = бессрочно)",
    "Controller": "Оператор", "Country": "Страна", "Create": "Создать",
    "Cross-border transfer": "Трансграничная передача", "Current": "Текущая",
    "Current password": "Текущий пароль", "Current version": "Текущая версия",
    "Dashboard": "Показатели", "Data": "Данные", "Data categories": "Категории данных",
    "Data-subject requests": "Запросы субъектов данных", "Deadline": "Срок",
    "Deadline (days)": "Срок (дней)",
    "Deadline for answering a request: {n} days.": "Срок ответа на запрос: {n} дн.",
    "Decline": "Отклонить", "Default language": "Язык по умолчанию", "Details": "Подробности",
    "Diff": "Сравнение", "Disable": "Отключить", "Discard draft": "Удалить черновик",
    "Document": "Документ", "Documents": "Документы", "Draft": "Черновик",
    "Drafts": "Черновики", "E-mail": "Эл. почта", "Effective": "Вступает в силу",
    "Effective (UTC; empty = when published)": "Вступает в силу (UTC; пусто = при публикации)",
    "Enable": "Включить", "Evidence": "Свидетельства", "Expires": "Истекает",
    "Export this search:": "Выгрузить результаты:", "Field": "Поле", "Fields": "Поля",
    "From": "С", "Guard verdict": "Проверка значимости",
    "Guardian consent under the minimum age": "Согласие законного представителя ниже мин. возраста",
    "Include resolved": "Показать закрытые", "Install": "Установка",
    "Install id": "ID установки", "Issued": "Выпущен",
    "It will be upcoming until its effective time.":
        "До даты вступления в силу она будет предстоящей.",
    "Key ids": "ID ключей", "Keys": "Ключи", "Keys and root": "Ключи и корень",
    "Kind": "Тип", "Label": "Метка", "Language": "Язык", "Languages": "Языки",
    "Last sign-in": "Последний вход", "Manifest": "Манифест", "Manifest seq": "№ манифеста",
    "Manifests": "Манифесты", "Minimum age": "Минимальный возраст",
    "Missing translations": "Недостающие переводы", "Name": "Название",
    "New draft from a file": "Черновик из файла",
    "New draft from the current version": "Черновик из текущей версии",
    "New password (at least 12 characters)": "Новый пароль (не меньше 12 символов)",
    "New user": "Новый пользователь",
    "No apps yet. Register one with `kelisim apps create APP_DIR`.":
        "Приложений пока нет. Зарегистрируйте: `kelisim apps create APP_DIR`.",
    "No field changed.": "Поля не изменились.", "No open drafts.": "Открытых черновиков нет.",
    "No open requests.": "Открытых запросов нет.", "No records match.": "Записей не найдено.",
    "No records yet.": "Записей пока нет.",
    "No root yet: run `kelisim keys init`.": "Корня ещё нет: выполните `kelisim keys init`.",
    "Not found.": "Не найдено.", "Notes": "Заметки",
    "Notes (kept in the version history)": "Заметки (сохраняются в истории версий)",
    "Nothing published yet.": "Пока ничего не опубликовано.",
    "Nothing recorded yet.": "Записей пока нет.", "Older": "Раньше",
    "Older records": "Более ранние записи", "On this server": "На этом сервере",
    "One-time password for {email}:": "Одноразовый пароль для {email}:",
    "Open only": "Только открытые", "Open requests": "Открытые запросы",
    "Publish anyway without these titles (recorded in the audit log)":
        "Опубликовать всё равно без этих названий (будет записано в журнал аудита)",
    "Opt-in rate per purpose and version (accepts granting it / accepts)":
        "Доля согласий по целям и версиям (принятия с согласием на цель / принятия)",
    "Opt-in rate: of the users who accepted a version, the share who granted the purpose "
    "(accepts granting it / accepts of the version). Each version counts only its own "
    "purposes. Declines are in the accept rate above; later changes in the app's settings "
    "are counted apart.":
        "Доля согласий: из пользователей, принявших версию, доля тех, кто дал согласие на цель "
        "(принятия с согласием на цель / все принятия версии). Каждая версия учитывает только "
        "свои цели. Отказы учтены в доле принятий выше; последующие изменения в настройках "
        "приложения считаются отдельно.",
    "offered": "предложено", "switched on later": "включили позже",
    "switched off later": "отключили позже",
    "Override reason (publish anyway, recorded)":
        "Причина исключения (опубликовать всё равно, будет записано)",
    "Password": "Пароль", "Per language": "По языкам", "Per purpose": "По целям",
    "Per version": "По версиям", "Permissions": "Разрешения",
    "Policy file (.md, .txt, .docx, .pdf)": "Файл политики (.md, .txt, .docx, .pdf)",
    "Policy text (Markdown)": "Текст политики (Markdown)", "Preview": "Предпросмотр",
    # The phone preview (server/admin/phone.py).
    "Shown to:": "Кому показано:",
    "First launch":
        "Первый запуск",
    "A user who accepted {label}":
        "Пользователь, принявший {label}",
    "The phone cannot show this draft yet:":
        "Телефон пока не может показать этот черновик:",
    "Over the app, as a notice: their consent stands.":
        "Поверх приложения, как уведомление: согласие остаётся в силе.",
    "Users who accepted {label} see nothing new: a patch changes no one's consent.":
        "Принявшие {label} не увидят ничего нового: патч ничьё согласие не меняет.",
    "Previous hash": "Предыдущий хеш", "Public disclosure": "Публичное раскрытие",
    "Publish now": "Опубликовать сейчас", "Published": "Опубликована",
    "Publisher": "Кто опубликовал", "Purpose": "Цель", "Purposes": "Цели",
    "Purposes (TOML: one [[purposes]] table each)": "Цели (TOML: по таблице [[purposes]] на цель)",
    "Re-signed by": "Переподписать до", "Read the full policy": "Полный текст политики",
    "Ready to publish as {s}.": "Можно публиковать как {s}.", "Receipt": "Квитанция",
    "Received": "Получено", "Record": "Запись", "Record id": "ID записи",
    "Records per day": "Записей в день",
    "Refused: marked {s}, but these changes require major:":
        "Отклонено: отмечено {s}, но эти изменения требуют major:",
    "Remove this language": "Удалить этот язык",
    "Repeat the new password": "Повторите новый пароль",
    "Request": "Запрос", "Requests": "Запросы", "Reset password": "Сбросить пароль",
    "Resolution": "Решение", "Resolve": "Закрыть", "Role": "Роль",
    "Root history": "История корня", "Root version {n}": "Корень, версия {n}",
    "Rotating keys": "Смена ключей",
    "Rotation is a command-line action: root keys should live offline, never on this server.":
        "Смена ключей выполняется в командной строке: корневые ключи хранятся офлайн, "
        "никогда не на этом сервере.",
    "Save": "Сохранить", "Save draft": "Сохранить черновик", "Schedule": "Запланировать",
    "Search": "Найти",
    "Set role": "Назначить роль", "Show": "Показать", "Sign in": "Войти",
    "Sign out": "Выйти", "Significance": "Значимость", "State": "Состояние",
    "Take the root keys offline again. Key files are in":
        "Снова уберите корневые ключи офлайн. Файлы ключей лежат в",
    "Target": "Объект", "Text": "Текст",
    "The file could not be imported": "Файл не удалось импортировать",
    "The form expired or did not come from this console. Go back, reload the page and try "
    "again.": "Форма устарела или отправлена не из этой консоли. Вернитесь, обновите страницу и "
              "повторите.",
    "The manifest of {app} expires on {t}: run `kelisim resign` (cron does it).":
        "Манифест {app} истекает {t}: выполните `kelisim resign` (это делает cron).",
    "The new root is signed by the old root keys and its own, and every manifest is re-signed; "
    "apps walk to it on their next refresh.":
        "Новый корень подписывается старыми и новыми корневыми ключами, все манифесты "
        "переподписываются; приложения перейдут на него при следующем обновлении.",
    "The root expires on {t}: sign the next root before then (see below).":
        "Корень истекает {t}: подпишите следующий до этого (см. ниже).",
    "Threshold": "Порог",
    "A root key file is on this server. Anyone who takes this server can then sign a new root: "
    "keep root keys offline.": "Файл корневого ключа лежит на этом сервере. Захвативший сервер "
                               "сможет подписать новый корень: храните корневые ключи офлайн.",
    "Title (empty = the first # heading)": "Заголовок (пусто = первый # заголовок)",
    "To": "По", "Transfer to third parties": "Передача третьим лицам",
    "Unchanged.": "Без изменений.", "Upload": "Загрузка", "Users": "Пользователи",
    "Vendors": "Поставщики", "Verify receipt and chain": "Проверить квитанцию и цепочку",
    "Version": "Версия", "Version history": "История версий",
    "What changed (shown to users with the new version)":
        "Что изменилось (показывается пользователям с новой версией)",
    "What was done": "Что сделано", "When": "Когда", "Who": "Кто",
    "You signed in with a one-time password. Choose your own to continue.":
        "Вы вошли с одноразовым паролем. Задайте свой, чтобы продолжить.",
    "Your role does not allow this page.": "Ваша роль не даёт доступа к этой странице.",
    "accept": "принять", "accepted": "приняли", "acknowledge": "ознакомлен",
    "active": "активен", "all": "все", "answered": "ответов", "based on": "на основе",
    "characters": "символов", "choices changed": "выбор изменён", "console": "консоль",
    "created by": "создал", "decline": "отклонить",
    "declined": "отклонили", "deletion": "удаление", "detect": "определить",
    "disabled": "отключён", "draft": "черновик", "expires": "истекает", "granted": "дали",
    "guardian consent below it": "ниже — согласие законного представителя",
    "indefinite": "бессрочно", "no": "нет", "no (offline)": "нет (офлайн)",
    "nothing published": "ничего не опубликовано",
    "notices acknowledged": "уведомлений прочитано", "of accepts": "от принявших",
    "opt-in rate": "доля согласий", "overdue by {n} d": "просрочено на {n} дн.",
    "override": "исключение",
    "owner: users, keys, settings, audit log · publisher: drafts and publishing · responder: "
    "data-subject requests · auditor: what a viewer reads, and the transparency logs' proof "
    "files and entry bundles · viewer: reads apps, dashboards and the consent log.":
        "владелец: пользователи, ключи, настройки, журнал действий · публикатор: черновики и "
        "публикация · исполнитель: запросы субъектов · аудитор: всё, что читает наблюдатель, "
        "а также файлы доказательств и пакеты элементов журналов прозрачности · "
        "наблюдатель: чтение приложений, показателей и журнала согласий.",
    "prompts answered": "ответов на запрос",
    "replaces the manifest key; use --new receipt or --new root for the others.":
        "заменяет ключ манифестов; для остальных — --new receipt или --new root.",
    "required": "обязательно", "resolved": "закрыт",
    "shown once; they choose their own at first sign-in.":
        "показывается один раз; при первом входе задаётся свой.",
    "signed": "подписан", "summary": "что изменилось", "upcoming": "предстоящая",
    "withdraw": "отозвать", "withdrawn": "отозвали", "yes": "да", "{n} d": "{n} дн.",
    "{n} d left": "осталось {n} дн.", "{n} h left": "осталось {n} ч",
    "owner": "владелец", "publisher": "публикатор", "responder": "исполнитель",
    "auditor": "аудитор", "viewer": "наблюдатель", "major": "major (существенная)",
    "minor": "minor (незначительная)",
    "patch": "patch (правка)",
    "bad_login": "Неверная почта или пароль.",
    "throttled": "Слишком много неудачных попыток. Подождите несколько минут.",
    "wrong_password": "Текущий пароль неверен.", "password_length": "Не меньше 12 символов.",
    "passwords_differ": "Новые пароли не совпадают.",
    "password_unchanged": "Выберите новый пароль, а не текущий.",
    "password_common": ("Это один из самых распространённых паролей или он собран из них, "
                        "названий и последовательностей: выберите другой."),
    "password_reused": ("Это один из ваших последних паролей (или одноразовый пароль): "
                        "выберите новый."),
    "password_email": "Пароль не должен строиться на вашем адресе почты.",
    "password_pattern": "Повтор одного символа, повторяющийся шаблон или последовательность "
                        "(123456..., qwerty...) — не пароль.",
    "busy": "Слишком много входов одновременно. Повторите через несколько секунд.",
    "last_owner": "В консоли должен остаться хотя бы один активный владелец.",
    "email_taken": "Пользователь с этой почтой уже есть.", "bad_email": "Это не адрес почты.",
    "bad_role": "Неизвестная роль.", "not_email": "Это не адрес почты.",
    "not_uuid": "Это не ID (UUID строчными буквами).", "not_date": "Это не дата (ГГГГ-ММ-ДД).",
    "not_time": "Это не время (ГГГГ-ММ-ДДTЧЧ:ММ, UTC).",
    "not_duration": "Это не длительность ISO 8601 (например P1Y, P6M, P30D).",
    "file_required": "Выберите файл.",
    "guard_refused": "Проверка отклонила: эти изменения требуют версии major.",
    "no_version_to_copy": "У приложения нет опубликованной версии; загрузите файл политики.",
    "already_resolved": "Этот запрос уже закрыт.",
    "Missing data for required field.": "Обязательное поле.",
    "Not a valid integer.": "Это не целое число.",
    "receipt signature": "подпись квитанции",
    "receipt names the record": "квитанция называет запись",
    "link to previous record": "связь с предыдущей записью",
    "record content matches its hash": "содержимое записи совпадает с хешем",
    "link from next record": "связь со следующей записью",
    # Added with the Kazakh catalogue (i18n_kk.py): the same keys in both.
    "seq": "№", "present": "есть", "update": "изменить", "receipt": "квитанция",
    "receipt {id} is missing": "квитанции {id} нет",
    "not a receipt envelope: {error}": "это не конверт квитанции: {error}",
    "receipt key {keys} of root version {n}": "ключ квитанций {keys} корня версии {n}",
    "no receipt key of any root signed it": "её не подписал ни один ключ квитанций ни одного "
                                            "корня",
    "receipt entry: seq {seq}, action {action}, chain hash {hash}…":
        "запись в квитанции: № {seq}, действие: {action}, хеш цепочки {hash}…",
    "none for this record": "для этой записи нет",
    "record {n}: {hash}; this record's previous hash: {prev}":
        "запись {n}: {hash}; предыдущий хеш этой записи: {prev}",
    "the start of the chain": "начало цепочки", "missing": "нет",
    "recomputed {a} / stored {b}": "пересчитан {a} / сохранён {b}",
    "this is the newest record": "это самая новая запись",
    "record {n}, its previous hash {h}": "запись {n}, её предыдущий хеш {h}",
    "request {n}: {hash}; this record's previous hash: {prev}":
        "запрос {n}: {hash}; предыдущий хеш этой записи: {prev}",
    "request {n}, its previous hash {h}": "запрос {n}, его предыдущий хеш {h}",
    "{tag}: document (the current version has one)": "{tag}: документ (у текущей версии он "
                                                     "есть)",
    "{tag}: summary of what changed": "{tag}: описание изменений",
    "{tag}: document in the app's default language":
        "{tag}: документ на языке приложения по умолчанию",
    # issue 17: console races and inputs
    "Guardian": "Законный представитель", "relation": "кем приходится",
    "publish_busy":
        "идёт другая публикация {app} ({why}); обновите страницу, чтобы увидеть её, "
        "и опубликуйте снова",
    "access": "доступ", "rectification": "уточнение", "blocking": "блокирование",
    "refused": "отказано", "Refuse": "Отказать", "consent withdrawn": "согласие отозвано",
    "Write what was done, or why the request is refused.":
        "Напишите, что сделано, или почему в запросе отказано.",
    "Only readable text: no control or direction-changing characters.":
        "Только читаемый текст: без управляющих символов и символов смены направления.",
    "Showing the {shown} with the nearest deadlines of {total}; answer these first.":
        "Показаны {shown} из {total} с ближайшими сроками; ответьте сначала на них.",
    "Some languages lack titles (listed above). Tick \u201cPublish anyway without these "
    "titles\u201d to publish without them.":
        "В некоторых языках нет названий (список выше). Отметьте «Опубликовать всё равно без "
        "этих названий», чтобы опубликовать без них.",
    "Version {label} is published and in force.": "Версия {label} опубликована и действует.",
    "Version {label} is scheduled: it takes effect {when}.":
        "Версия {label} запланирована: вступает в силу {when}.",
    # issue 18 (words18a): labels, time zones, evidence, audit details
    'not_time_zone':
        'Это не один из перечисленных часовых поясов.',
    'unknown_version':
        'У этого приложения нет версии с такой меткой: выберите её из списка.',
    'Times: {zone}':
        'Время: {zone}',
    'Times are shown in this zone; the UTC time is on hover. Change it on your account page.':
        'Время показано в этом поясе; время UTC — при наведении. Изменить его можно на '
        'странице учётной записи.',
    'Time zone':
        'Часовой пояс',
    'The console shows times in this zone, with the UTC time when you point at one. Stored '
    'and signed times stay in UTC.':
        'Консоль показывает время в этом поясе, а при наведении — время UTC. Хранимое и '
        'подписанное время остаётся в UTC.',
    "the app's country (KZ Asia/Almaty, UZ Asia/Tashkent, KG Asia/Bishkek)":
        'страна приложения (KZ Asia/Almaty, UZ Asia/Tashkent, KG Asia/Bishkek)',
    'Save time zone':
        'Сохранить часовой пояс',
    'withdrawal (no language)':
        'отзыв (без языка)',
    'no language':
        'без языка',
    '{a} and {b}':
        '{a} и {b}',
    'the first layer':
        'первый экран',
    'the purposes':
        'цели',
    'the full text':
        'полный текст',
    'saw {layers}':
        'видел {layers}',
    'opened the full text':
        'открыл полный текст',
    'did not open the full text':
        'не открывал полный текст',
    'scrolled to the end':
        'прокрутил до конца',
    'did not scroll to the end':
        'не прокрутил до конца',
    '{n} s on screen':
        '{n} с на экране',
    '{n} s on {layer}':
        '{n} с — {layer}',
    'the app in {locale}':
        'приложение на языке {locale}',
    'No evidence reported.':
        'Свидетельства не переданы.',
    'role':
        'роль',
    'made from':
        'создан из',
    'label':
        'метка',
    'significance':
        'значимость',
    'language':
        'язык',
    'deadline (days)':
        'срок (дней)',
    'version number':
        'номер версии',
    'takes effect':
        'вступает в силу',
    'scheduled':
        'запланирована',
    'manifest seq':
        '№ манифеста',
    'reasons':
        'причины',
    'override reason':
        'причина обхода',
    'app details changed':
        'изменённые сведения о приложении',
    'source':
        'источник',
}
