"""The console's webhook page (server/admin/views/webhooks.py) in English codes, Russian
and Kazakh; i18n_texts.py merges them with the rest."""

from __future__ import annotations

__all__ = ["WEBHOOKS_EN", "WEBHOOKS_KK", "WEBHOOKS_RU"]

WEBHOOKS_EN: dict[str, str] = {
    "confirm_webhook_delete": "Tick the box: deleting an endpoint deletes its deliveries.",
}

_INTRO = ("The app's backend hears every change of consent and every data-subject request "
          "at these addresses: signed deliveries, retried until answered (Kelisim's "
          "documentation, docs/webhooks.md: events, signatures, a receiver in Python).")
_URL = ("Give the receiver's address: https://... (or http://), without a user name or "
        "password, not a private or loopback address.")
_TEST = ("A test event is queued for {url}: it is listed under Recent deliveries as waiting "
         "until the worker delivers it.")
_REPLAY = ("The delivery is queued again: it is listed under Recent deliveries as waiting "
           "until the worker sends it.")
_GONE = ("That delivery is no longer kept, so it cannot be replayed: delivered events are "
         "deleted {days} days after delivery, and an endpoint's deliveries with it.")
_KEPT = "Delivered events are kept {days} days, then deleted."
_SHOWN = "shown once: keep it in the backend's secret store to verify each delivery."

WEBHOOKS_RU: dict[str, str] = {
    "confirm_webhook_delete": ("Отметьте флажок: удаление адреса удаляет и его "
                               "доставки."),
    "Webhooks": "Вебхуки",
    _INTRO: ("Бэкенд приложения узнаёт о каждом изменении согласия и каждом запросе "
             "субъекта данных по этим адресам: подписанные доставки повторяются, пока не "
             "будет ответа (документация Kelisim, docs/webhooks.md: события, подписи, "
             "получатель на Python)."),
    "Signing secret of endpoint {id}:": "Секрет подписи адреса {id}:",
    _SHOWN: ("показан один раз: сохраните его в хранилище секретов бэкенда, чтобы "
              "проверять каждую доставку."),
    "Endpoint": "Адрес доставки",
    "Events": "События",
    "paused {when}": "приостановлен {when}",
    "{n} failed in a row": "неудачных подряд: {n}",
    "Resume": "Возобновить",
    "Pause": "Приостановить",
    "Send a test event": "Отправить тестовое событие",
    "its deliveries are deleted too": "его доставки тоже удаляются",
    "Delete": "Удалить",
    "No endpoints yet.": "Адресов пока нет.",
    "New endpoint": "Новый адрес",
    "Add": "Добавить",
    "Recent deliveries": "Последние доставки",
    "Event": "Событие",
    "Attempts": "Попытки",
    "Last error": "Последняя ошибка",
    "delivered {when}": "доставлено {when}",
    "waiting": "ожидает",
    "Replay": "Отправить снова",
    "No deliveries yet.": "Доставок пока нет.",
    _URL: ("Укажите адрес получателя: https://... (или http://), без имени пользователя "
           "и пароля, не частный и не локальный адрес."),
    "Choose at least one event.": "Выберите хотя бы одно событие.",
    "events": "события",
    "delivery": "доставка",
    "event id": "идентификатор события",
    "lists webhook endpoints and their deliveries": "читает адреса вебхуков и их доставки",
    "registers, pauses and deletes webhook endpoints, replays deliveries":
        ("добавляет, приостанавливает и удаляет адреса вебхуков, отправляет доставки "
         "снова"),
    _TEST: ("Тестовое событие поставлено в очередь для {url}: в списке «Последние "
            "доставки» оно ждёт, пока обработчик его не доставит."),
    _REPLAY: ("Доставка снова поставлена в очередь: в списке «Последние доставки» она "
              "ждёт, пока обработчик её не отправит."),
    _GONE: ("Этой доставки больше нет, поэтому отправить её снова нельзя: доставленные "
            "события удаляются через {days} дн. после доставки, а доставки адреса — "
            "вместе с ним."),
    _KEPT: "Доставленные события хранятся {days} дн., затем удаляются.",
}

WEBHOOKS_KK: dict[str, str] = {
    "confirm_webhook_delete": ("Белгіні қойыңыз: мекенжайды жою оның жеткізілімдерін де "
                               "жояды."),
    "Webhooks": "Вебхуктар",
    _INTRO: ("Қолданбаның бэкенді келісімнің әрбір өзгерісі мен деректер субъектісінің "
             "әрбір сұрауы туралы осы мекенжайлар арқылы біледі: қол қойылған "
             "жеткізілімдер жауап алынғанша қайталанады (Kelisim құжаттамасы, "
             "docs/webhooks.md: оқиғалар, қолтаңбалар, Python-дағы қабылдаушы)."),
    "Signing secret of endpoint {id}:": "{id} мекенжайының қолтаңба құпиясы:",
    _SHOWN: ("бір рет көрсетіледі: әрбір жеткізілімді тексеру үшін оны бэкендтің "
              "құпиялар қоймасында сақтаңыз."),
    "Endpoint": "Жеткізу мекенжайы",
    "Events": "Оқиғалар",
    "paused {when}": "{when} тоқтатылған",
    "{n} failed in a row": "қатарынан сәтсіз: {n}",
    "Resume": "Жалғастыру",
    "Pause": "Тоқтата тұру",
    "Send a test event": "Сынақ оқиғасын жіберу",
    "its deliveries are deleted too": "оның жеткізілімдері де жойылады",
    "Delete": "Жою",
    "No endpoints yet.": "Мекенжайлар әлі жоқ.",
    "New endpoint": "Жаңа мекенжай",
    "Add": "Қосу",
    "Recent deliveries": "Соңғы жеткізілімдер",
    "Event": "Оқиға",
    "Attempts": "Әрекеттер",
    "Last error": "Соңғы қате",
    "delivered {when}": "{when} жеткізілді",
    "waiting": "күтуде",
    "Replay": "Қайта жіберу",
    "No deliveries yet.": "Жеткізілімдер әлі жоқ.",
    _URL: ("Алушының мекенжайын беріңіз: https://... (немесе http://), пайдаланушы аты "
           "мен құпиясөзсіз, жеке немесе жергілікті мекенжай емес."),
    "Choose at least one event.": "Кемінде бір оқиғаны таңдаңыз.",
    "events": "оқиғалар",
    "delivery": "жеткізілім",
    "event id": "оқиға идентификаторы",
    "lists webhook endpoints and their deliveries":
        "вебхук мекенжайлары мен олардың жеткізілімдерін оқиды",
    "registers, pauses and deletes webhook endpoints, replays deliveries":
        ("вебхук мекенжайларын қосады, тоқтатады және жояды, жеткізілімдерді қайта "
         "жібереді"),
    _TEST: ("Сынақ оқиғасы {url} үшін кезекке қойылды: «Соңғы жеткізілімдер» тізімінде "
            "ол өңдеуші жеткізгенше күтеді."),
    _REPLAY: ("Жеткізілім қайта кезекке қойылды: «Соңғы жеткізілімдер» тізімінде ол "
              "өңдеуші жібергенше күтеді."),
    _GONE: ("Бұл жеткізілім енді сақталмайды, сондықтан оны қайта жіберу мүмкін емес: "
            "жеткізілген оқиғалар жеткізілгеннен кейін {days} күннен соң, ал мекенжайдың "
            "жеткізілімдері мекенжаймен бірге жойылады."),
    _KEPT: "Жеткізілген оқиғалар {days} күн сақталады, содан кейін жойылады.",
}
