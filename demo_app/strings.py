"""The demo app's own words in kk, ru, en, uz and ky (the consent widgets bring theirs)."""

from __future__ import annotations

from client_sdk._internal.locales import negotiate

__all__ = ["STRINGS", "t"]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "reason.network": "no connection to {server}",
        "reason.untrusted": "the answer could not be verified ({detail})",
        "deliveries": "Today's deliveries",
        "status.on_way": "On the way", "status.waiting": "Waiting for pick-up",
        "status.delivered": "Delivered",
        "analytics_on": "Analytics (Firebase): on",
        "analytics_off": "Analytics (Firebase): off — you did not allow it",
        "refresh_failed": "Could not check the privacy policy for updates: {reason}",
        "settings": "Settings", "privacy": "Privacy", "appearance": "Appearance",
        "dark_theme": "Dark theme", "text_size": "Text size", "back": "Back",
        "consent_needed": "Deliveries need your consent to the privacy policy.",
    },
    "ru": {
        "reason.network": "нет связи с {server}",
        "reason.untrusted": "ответ сервера не прошёл проверку ({detail})",
        "deliveries": "Доставки на сегодня",
        "status.on_way": "В пути", "status.waiting": "Ожидает отправки",
        "status.delivered": "Доставлено",
        "analytics_on": "Аналитика (Firebase): включена",
        "analytics_off": "Аналитика (Firebase): выключена — вы её не разрешили",
        "refresh_failed": "Не удалось проверить обновления политики: {reason}",
        "settings": "Настройки", "privacy": "Конфиденциальность", "appearance": "Оформление",
        "dark_theme": "Тёмная тема", "text_size": "Размер текста", "back": "Назад",
        "consent_needed": "Для доставок нужно ваше согласие с политикой конфиденциальности.",
    },
    "kk": {
        "reason.network": "{server} серверімен байланыс жоқ",
        "reason.untrusted": "сервер жауабы тексеруден өтпеді ({detail})",
        "deliveries": "Бүгінгі жеткізулер",
        "status.on_way": "Жолда", "status.waiting": "Жөнелтуді күтуде",
        "status.delivered": "Жеткізілді",
        "analytics_on": "Аналитика (Firebase): қосулы",
        "analytics_off": "Аналитика (Firebase): өшірулі — сіз рұқсат бермедіңіз",
        "refresh_failed": "Саясат жаңартуларын тексеру мүмкін болмады: {reason}",
        "settings": "Баптаулар", "privacy": "Құпиялылық", "appearance": "Безендіру",
        "dark_theme": "Қараңғы тақырып", "text_size": "Мәтін өлшемі", "back": "Артқа",
        "consent_needed": "Жеткізулер үшін құпиялылық саясатына келісіміңіз қажет.",
    },
    "uz": {
        "reason.network": "{server} bilan aloqa yoʻq",
        "reason.untrusted": "server javobi tekshiruvdan oʻtmadi ({detail})",
        "deliveries": "Bugungi yetkazmalar",
        "status.on_way": "Yoʻlda", "status.waiting": "Joʻnatishni kutmoqda",
        "status.delivered": "Yetkazildi",
        "analytics_on": "Analitika (Firebase): yoqilgan",
        "analytics_off": "Analitika (Firebase): oʻchirilgan — siz ruxsat bermadingiz",
        "refresh_failed": "Siyosat yangilanishlarini tekshirib boʻlmadi: {reason}",
        "settings": "Sozlamalar", "privacy": "Maxfiylik", "appearance": "Koʻrinish",
        "dark_theme": "Tungi mavzu", "text_size": "Matn oʻlchami", "back": "Orqaga",
        "consent_needed": "Yetkazmalar uchun maxfiylik siyosatiga roziligingiz kerak.",
    },
    "ky": {
        "reason.network": "{server} менен байланыш жок",
        "reason.untrusted": "сервердин жообу текшерүүдөн өткөн жок ({detail})",
        "deliveries": "Бүгүнкү жеткирүүлөр",
        "status.on_way": "Жолдо", "status.waiting": "Жөнөтүүнү күтүүдө",
        "status.delivered": "Жеткирилди",
        "analytics_on": "Аналитика (Firebase): күйүк",
        "analytics_off": "Аналитика (Firebase): өчүк — сиз уруксат берген жоксуз",
        "refresh_failed": "Саясаттын жаңыртууларын текшерүү мүмкүн болгон жок: {reason}",
        "settings": "Жөндөөлөр", "privacy": "Купуялык", "appearance": "Көрүнүш",
        "dark_theme": "Караңгы тема", "text_size": "Тексттин өлчөмү", "back": "Артка",
        "consent_needed": "Жеткирүүлөр үчүн купуялык саясатына макулдугуңуз керек.",
    },
}


def t(key: str, tag: str, **values: object) -> str:
    """The demo string ``key`` in ``tag`` (its base language, else English)."""
    table = STRINGS[negotiate([tag], STRINGS, "en")]
    return table[key].format(**values) if values else table[key]
