"""The words of store label lines in the policy languages (en, ru, kk, uz Latin, ky): one
table, used by :func:`server.policy.storelabels.label_lines` for ``labels.<locale>.md`` and
the console. Pure data.

What stays as the stores print it, in English: Apple's and Google Play's names of data types
(``Precise Location``, ``Location / Precise location``), their ids, URLs and domains; the
officer finds them in App Store Connect and Play Console under those names. The rest (flags,
purposes, yes/no) is in the reader's language. The guard's reasons and the CLI use English.
Uzbek is Latin script: ``ʻ`` (U+02BB) in oʻ/gʻ, ``ʼ`` (U+02BC) for the tutuq belgisi.
"""

from __future__ import annotations

__all__ = ["MD_WORDS", "WORDS", "words"]

# Keys: the line words (``for``, ``collected_for`` and ``shared_for`` take {purposes}), then
# each store's purposes by id; English takes the purposes' names from the stores' tables
# (storelabels.APPLE_PURPOSES, PLAY_PURPOSES).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "linked": "linked to the user", "not_linked": "not linked to the user",
        "used_for_tracking": "used for tracking", "for": "for {purposes}",
        "tracking": "tracking", "yes": "yes", "no": "no",
        "tracking_domains": "tracking domains",
        "collected": "collected", "collected_shared": "collected and shared",
        "optional": "optional", "required": "required",
        "ephemeral": "processed ephemerally",
        "collected_for": "collected for {purposes}", "shared_for": "shared for {purposes}",
        "encrypted": "data encrypted in transit",
        "account_deletion": "account deletion link", "data_deletion": "data deletion link",
    },
    "ru": {
        "linked": "связаны с пользователем", "not_linked": "не связаны с пользователем",
        "used_for_tracking": "используются для отслеживания", "for": "цели: {purposes}",
        "tracking": "отслеживание", "yes": "да", "no": "нет",
        "tracking_domains": "домены отслеживания",
        "collected": "собираются", "collected_shared": "собираются и передаются третьим лицам",
        "optional": "сбор по выбору пользователя", "required": "сбор обязателен",
        "ephemeral": "обрабатываются временно, без хранения",
        "collected_for": "цели сбора: {purposes}", "shared_for": "цели передачи: {purposes}",
        "encrypted": "данные шифруются при передаче",
        "account_deletion": "ссылка для удаления аккаунта",
        "data_deletion": "ссылка для удаления данных",
        # Apple's six purposes
        "NSPrivacyCollectedDataTypePurposeThirdPartyAdvertising": "Сторонняя реклама",
        "NSPrivacyCollectedDataTypePurposeDeveloperAdvertising":
            "Реклама или маркетинг разработчика",
        "NSPrivacyCollectedDataTypePurposeAnalytics": "Аналитика",
        "NSPrivacyCollectedDataTypePurposeProductPersonalization":
            "Персонализация продукта",
        "NSPrivacyCollectedDataTypePurposeAppFunctionality": "Функциональность приложения",
        "NSPrivacyCollectedDataTypePurposeOther": "Другие цели",
        # Google Play's seven purposes
        "PSL_APP_FUNCTIONALITY": "Функциональность приложения",
        "PSL_ANALYTICS": "Аналитика",
        "PSL_DEVELOPER_COMMUNICATIONS": "Сообщения от разработчика",
        "PSL_ADVERTISING": "Реклама или маркетинг",
        "PSL_FRAUD_PREVENTION_SECURITY":
            "Предотвращение мошенничества, безопасность и соблюдение требований",
        "PSL_PERSONALIZATION": "Персонализация",
        "PSL_ACCOUNT_MANAGEMENT": "Управление аккаунтом",
    },
    "kk": {
        "linked": "пайдаланушымен байланысты",
        "not_linked": "пайдаланушымен байланысты емес",
        "used_for_tracking": "қадағалау үшін қолданылады", "for": "мақсаттары: {purposes}",
        "tracking": "қадағалау", "yes": "иә", "no": "жоқ",
        "tracking_domains": "қадағалау домендері",
        "collected": "жиналады",
        "collected_shared": "жиналады және үшінші тараптарға беріледі",
        "optional": "жинауды пайдаланушы өзі таңдайды", "required": "жинау міндетті",
        "ephemeral": "уақытша өңделеді, сақталмайды",
        "collected_for": "жинау мақсаттары: {purposes}",
        "shared_for": "беру мақсаттары: {purposes}",
        "encrypted": "деректер берілу кезінде шифрланады",
        "account_deletion": "тіркелгіні жою сілтемесі",
        "data_deletion": "деректерді жою сілтемесі",
        # Apple's six purposes
        "NSPrivacyCollectedDataTypePurposeThirdPartyAdvertising":
            "Үшінші тараптың жарнамасы",
        "NSPrivacyCollectedDataTypePurposeDeveloperAdvertising":
            "Әзірлеушінің жарнамасы немесе маркетингі",
        "NSPrivacyCollectedDataTypePurposeAnalytics": "Аналитика",
        "NSPrivacyCollectedDataTypePurposeProductPersonalization": "Өнімді жекелендіру",
        "NSPrivacyCollectedDataTypePurposeAppFunctionality": "Қолданбаның жұмыс істеуі",
        "NSPrivacyCollectedDataTypePurposeOther": "Басқа мақсаттар",
        # Google Play's seven purposes
        "PSL_APP_FUNCTIONALITY": "Қолданбаның жұмыс істеуі",
        "PSL_ANALYTICS": "Аналитика",
        "PSL_DEVELOPER_COMMUNICATIONS": "Әзірлеушінің хабарламалары",
        "PSL_ADVERTISING": "Жарнама немесе маркетинг",
        "PSL_FRAUD_PREVENTION_SECURITY":
            "Алаяқтықтың алдын алу, қауіпсіздік және талаптарға сәйкестік",
        "PSL_PERSONALIZATION": "Жекелендіру",
        "PSL_ACCOUNT_MANAGEMENT": "Тіркелгіні басқару",
    },
    "uz": {
        "linked": "foydalanuvchi bilan bogʻlangan",
        "not_linked": "foydalanuvchi bilan bogʻlanmagan",
        "used_for_tracking": "kuzatuv uchun ishlatiladi", "for": "maqsadlar: {purposes}",
        "tracking": "kuzatuv", "yes": "ha", "no": "yoʻq",
        "tracking_domains": "kuzatuv domenlari",
        "collected": "yigʻiladi",
        "collected_shared": "yigʻiladi va uchinchi shaxslarga beriladi",
        "optional": "yigʻishni foydalanuvchi oʻzi tanlaydi", "required": "yigʻish majburiy",
        "ephemeral": "vaqtincha qayta ishlanadi, saqlanmaydi",
        "collected_for": "yigʻish maqsadlari: {purposes}",
        "shared_for": "berish maqsadlari: {purposes}",
        "encrypted": "maʼlumotlar uzatishda shifrlanadi",
        "account_deletion": "hisobni oʻchirish havolasi",
        "data_deletion": "maʼlumotlarni oʻchirish havolasi",
        # Apple's six purposes
        "NSPrivacyCollectedDataTypePurposeThirdPartyAdvertising":
            "Uchinchi tomon reklamasi",
        "NSPrivacyCollectedDataTypePurposeDeveloperAdvertising":
            "Ishlab chiquvchining reklamasi yoki marketingi",
        "NSPrivacyCollectedDataTypePurposeAnalytics": "Analitika",
        "NSPrivacyCollectedDataTypePurposeProductPersonalization":
            "Mahsulotni shaxsiylashtirish",
        "NSPrivacyCollectedDataTypePurposeAppFunctionality": "Ilovaning ishlashi",
        "NSPrivacyCollectedDataTypePurposeOther": "Boshqa maqsadlar",
        # Google Play's seven purposes
        "PSL_APP_FUNCTIONALITY": "Ilovaning ishlashi",
        "PSL_ANALYTICS": "Analitika",
        "PSL_DEVELOPER_COMMUNICATIONS": "Ishlab chiquvchi xabarlari",
        "PSL_ADVERTISING": "Reklama yoki marketing",
        "PSL_FRAUD_PREVENTION_SECURITY":
            "Firibgarlikning oldini olish, xavfsizlik va talablarga muvofiqlik",
        "PSL_PERSONALIZATION": "Shaxsiylashtirish",
        "PSL_ACCOUNT_MANAGEMENT": "Hisobni boshqarish",
    },
    "ky": {
        "linked": "колдонуучу менен байланышкан",
        "not_linked": "колдонуучу менен байланышкан эмес",
        "used_for_tracking": "көз салуу үчүн колдонулат", "for": "максаттары: {purposes}",
        "tracking": "көз салуу", "yes": "ооба", "no": "жок",
        "tracking_domains": "көз салуу домендери",
        "collected": "чогултулат",
        "collected_shared": "чогултулат жана үчүнчү тараптарга берилет",
        "optional": "чогултууну колдонуучу өзү тандайт", "required": "чогултуу милдеттүү",
        "ephemeral": "убактылуу иштетилет, сакталбайт",
        "collected_for": "чогултуу максаттары: {purposes}",
        "shared_for": "берүү максаттары: {purposes}",
        "encrypted": "маалыматтар берилип жатканда шифрленет",
        "account_deletion": "аккаунтту өчүрүү шилтемеси",
        "data_deletion": "маалыматтарды өчүрүү шилтемеси",
        # Apple's six purposes
        "NSPrivacyCollectedDataTypePurposeThirdPartyAdvertising":
            "Үчүнчү тараптын жарнамасы",
        "NSPrivacyCollectedDataTypePurposeDeveloperAdvertising":
            "Иштеп чыгуучунун жарнамасы же маркетинги",
        "NSPrivacyCollectedDataTypePurposeAnalytics": "Аналитика",
        "NSPrivacyCollectedDataTypePurposeProductPersonalization":
            "Продуктту жекелештирүү",
        "NSPrivacyCollectedDataTypePurposeAppFunctionality": "Колдонмонун иштеши",
        "NSPrivacyCollectedDataTypePurposeOther": "Башка максаттар",
        # Google Play's seven purposes
        "PSL_APP_FUNCTIONALITY": "Колдонмонун иштеши",
        "PSL_ANALYTICS": "Аналитика",
        "PSL_DEVELOPER_COMMUNICATIONS": "Иштеп чыгуучунун билдирүүлөрү",
        "PSL_ADVERTISING": "Жарнама же маркетинг",
        "PSL_FRAUD_PREVENTION_SECURITY":
            "Алдамчылыктын алдын алуу, коопсуздук жана талаптарга шайкештик",
        "PSL_PERSONALIZATION": "Жекелештирүү",
        "PSL_ACCOUNT_MANAGEMENT": "Аккаунтту башкаруу",
    },
}


def words(language: str) -> dict[str, str]:
    """The table of ``language`` (a tag: ``uz-Latn`` is ``uz``); English when there is
    none."""
    return WORDS.get(language.split("-")[0], WORDS["en"])


# labels.<locale>.md's own words: (title, intro, "Data categories", "not mapped").
MD_WORDS: dict[str, tuple[str, str, str, str]] = {
    "en": ("Store labels", "What the store pages will say about this version. Data types are "
           "named in English, as the stores' forms name them.", "Data categories",
           "not mapped"),
    "ru": ("Метки магазинов", "Что страницы магазинов скажут об этой версии. Типы данных "
           "названы по-английски, как их называют формы магазинов.", "Категории данных",
           "не сопоставлено"),
    "kk": ("Дүкен белгілері", "Дүкен беттері осы нұсқа туралы не айтады. Деректер түрлері "
           "дүкендердің формаларындағыдай ағылшынша аталған.", "Деректер санаттары",
           "сәйкестендірілмеген"),
    "uz": ("Doʻkon belgilari", "Doʻkon sahifalari bu versiya haqida nima deydi. Maʼlumot "
           "turlari doʻkonlar shakllaridagidek inglizcha nomlangan.",
           "Maʼlumot toifalari", "moslashtirilmagan"),
    "ky": ("Дүкөн белгилери", "Дүкөн барактары бул версия тууралуу эмне дейт. Маалымат "
           "түрлөрү дүкөндөрдүн формаларындагыдай англисче аталган.",
           "Маалымат категориялары", "дал келтирилген эмес"),
}
