"""The SDK's own UI strings in Uzbek, Latin script (``uz``). Keys and ``{placeholders}``
are en.py's.

Uzbek Latin uses the letters the 1995 alphabet prescribes: ʻ (U+02BB) in oʻ and gʻ, and
ʼ (U+02BC) for the tutuq belgisi, not ASCII quotes. Nouns do not change after a numeral.
"""

from __future__ import annotations

__all__ = ["PLURALS", "STRINGS"]

STRINGS: dict[str, str] = {
    "age_hint": "Qabul qilish uchun yuqorida yoshingizni tasdiqlang",
    "age_hint_back": "Qabul qilish uchun birinchi sahifaga qaytib, yoshingizni tasdiqlang",
    "who": "Maʼlumotlaringizni kim qayta ishlaydi",
    "operator": "{name}, {label} {number}",
    # The controller's registration number, named as its country names it.
    "company_id.KZ": "BIN",
    "company_id.UZ": "STIR",
    "company_id.KG": "STIR",
    "company_id.other": "Roʻyxat raqami",
    "contact": "{address} · {email}",
    "data_collected": "Qanday maʼlumotlar",
    "third_party_yes": "Uchinchi shaxslarga beriladi: {names}.",
    "third_party_no": "Uchinchi shaxslarga berilmaydi.",
    "cross_border_yes": "Chet elga uzatilishi mumkin: {countries}.",
    "cross_border_no": "Chet elga uzatilmaydi.",
    "public_yes": "Maʼlumotlarning bir qismi eʼlon qilinadi.",
    "public_no": "Maʼlumotlaringiz eʼlon qilinmaydi.",
    "term": "Rozilik muddati: {term}.",
    "term_none": "Rozilik siz uni qaytarib olmaguningizcha amal qiladi.",
    "choose_purposes": "Maqsadlarni tanlash",
    "read_full": "Siyosatni toʻliq oʻqish",
    "back": "Orqaga",
    "always_active": "Doim yoqilgan",
    "accept_all": "Hammasini qabul qilish",
    "only_required": "Faqat majburiylari",
    "save_choices": "Tanlovni saqlash",
    "loading": "Toʻliq matn yuklanmoqda…",
    "offline_document": "Toʻliq matnni yuklab boʻlmadi: server bilan aloqa yoʻq. Matn "
                        "yuklangach, rozilik berishingiz mumkin.",
    "retry": "Qayta urinish",
    "end_of_policy": "Siyosat oxiri",
    "declined_title": "Siz rad etdingiz",
    "declined_body": "Roziligingizni talab qiladigan hech narsa ishga tushmaydi. Siyosat "
                     "bilan istalgan vaqtda qayta tanishishingiz mumkin.",
    "review_again": "Qayta koʻrish",
    "accepted_on": "Siz {label} versiyasini {date} qabul qildingiz.",
    "agreed_to": "Nimaga rozilik bergansiz",
    "no_consent": "Siz rozilik bermagansiz.",
    "withdrawn_on": "Siz roziligingizni {date} qaytarib oldingiz.",
    "declined_on": "Siz {date} rad etgansiz.",
    "purpose_on": "{title}: yoqilgan",
    "purpose_off": "{title}: oʻchirilgan",
    "rejected": "Server rad etdi: {reason}",
    "confirm_withdraw_title": "Rozilikni qaytarib olasizmi?",
    "confirm_withdraw_body": "Ilova roziligingizni talab qiladigan hamma narsani toʻxtatadi "
                             "va sizdan qayta soʻraydi.",
    "confirm_deletion_title": "Maʼlumotlaringizni oʻchirishni soʻraysizmi?",
    "confirm_deletion_body": "Operator shaxsiy maʼlumotlaringizni oʻchiradi. Buni bekor qilib "
                             "boʻlmaydi.",
    "cancel": "Bekor qilish",
    "confirm": "Tasdiqlash",
    "saved_sending": "Saqlandi. Yuborilmoqda…",
    "sent": "Operatorga yuborildi.",
    "send_later": "Qurilmada saqlandi; aloqa paydo boʻlganda yuboriladi.",
    "notice_noted": "Rahmat, eʼtiborga olindi.",
    "vendor": "{name} ({country})",
    "permission.location": "Joylashuv",
    "permission.camera": "Kamera",
    "permission.photos": "Rasmlar",
    "permission.notifications": "Bildirishnomalar",
    "permission.contacts": "Kontaktlar",
    "permission.microphone": "Mikrofon",
    "permission.phone": "Telefon",
    "permission.storage": "Fayllar",
    "title": "Maxfiylik siyosati",
    "version": "Versiya {label}",
    "effective": "Kuchga kirish sanasi: {date}",
    "language": "Til",
    "what_changed": "Nima oʻzgardi",
    "purposes": "Maʼlumotlaringizdan nima uchun foydalanamiz",
    "required": "Majburiy",
    "shared_with": "Kimga beriladi: {names}",
    "permissions": "Soʻraladigan ruxsatlar",
    "guardian_confirm": "Ota-onam yoki vasiyim men uchun rozilik beradi",
    "guardian_name": "Ota-ona yoki vasiyning ismi",
    "scroll_hint": "Qabul qilish uchun siyosatni oxirigacha oʻqing",
    "accept": "Qabul qilaman",
    "decline": "Rad etish",
    "notice_minor": "Maxfiylik siyosatimizni yangiladik",
    "notice_upcoming": "{date} dan oʻzgarishlar",
    "read": "Oʻqish",
    "dismiss": "Tushunarli",
    "settings": "Maxfiylik sozlamalari",
    "your_choices": "Sizning tanlovingiz",
    "full_policy": "Siyosatning toʻliq matni",
    "history": "Tarix",
    "synced": "Yuborildi",
    "not_synced": "Hali yuborilmadi",
    "withdraw": "Rozilikni qaytarib olish",
    "request_deletion": "Maʼlumotlarni oʻchirishni soʻrash",
    "deletion_requested": "Oʻchirish soʻrovi yuborildi",
    "no_document": "Bu matn sizning tilingizda mavjud emas.",
    "no_purposes": "Bu siyosatda maqsadlar koʻrsatilmagan.",
    "unavailable": "Maxfiylik siyosatini yuklab boʻlmadi. Internet aloqasini tekshiring.",
    "close": "Yopish",
    "action.accept": "Rozilik berildi",
    "action.decline": "Rad etildi",
    "action.withdraw": "Rozilik qaytarib olindi",
    "action.update": "Tanlov oʻzgartirildi",
    "action.acknowledge": "Xabarnoma oʻqildi",
    "action.deletion_request": "Oʻchirish soʻraldi",
    # A newer version arrived while the consent screen was open (ConsentScreen.show_newer).
    "newer_version": "Siyosatning yangi versiyasi eʼlon qilindi.",
    "continue_newer": "Yangi versiya bilan davom etish",
    "newer_hint": "Qabul qilish uchun yangi versiyaga oʻting.",
    # Requests of the data subject and the export of the user's data.
    "requests": "Soʻrovlaringiz",
    "request.access": "Men haqimda qanday maʼlumotlar saqlanishini bilish",
    "request.rectification": "Maʼlumotlarimni tuzatishni soʻrash",
    "request.blocking": "Maʼlumotlarimdan foydalanishni toʻxtatishni soʻrash",
    "kind.access": "Maʼlumotlarimdan xabardor boʻlish",
    "kind.rectification": "Maʼlumotlarimni tuzatish",
    "kind.blocking": "Maʼlumotlarimni bloklash",
    "kind.deletion": "Maʼlumotlarimni oʻchirish",
    "state.pending": "Hali yuborilmagan",
    "state.rejected": "Server qabul qilmadi: {reason}",
    "state.open": "Qabul qilindi {date}; javob muddati {deadline}",
    "state.resolved": "Bajarildi {date}",
    "state.refused": "Rad etildi {date}",
    "request_answer": "Operator javobi: {text}",
    "withdraw_too": "Roziligimni ham hozir qaytarib olish",
    "note_hint": "Nima notoʻgʻri va qanday boʻlishi kerak?",
    "confirm_access_title": "Siz haqingizda qanday maʼlumotlar saqlanishini bilmoqchimisiz?",
    "confirm_access_body": (
        "Operator siz haqingizda qanday shaxsiy maʼlumotlarni saqlashi va ulardan qanday "
        "foydalanishini maʼlum qilishi shart."),
    "confirm_rectification_title": "Maʼlumotlaringizni tuzatishni soʻraysizmi?",
    "confirm_rectification_body": (
        "Nima notoʻgʻri ekanini va qanday boʻlishi kerakligini yozing. Operator tuzatadi "
        "yoki nega tuzatmasligini tushuntiradi."),
    "confirm_blocking_title": "Maʼlumotlaringizdan foydalanishni toʻxtatishni soʻraysizmi?",
    "confirm_blocking_body": (
        "Masala hal boʻlguncha operator shaxsiy maʼlumotlaringizga ishlov berishni "
        "toʻxtatadi."),
    "export": "Maʼlumotlarim nusxasini saqlash",
    "export_saving": "Maʼlumotlaringiz nusxasi saqlanmoqda…",
    "export_saved": "Saqlandi: {path}",
    "export_failed": "Saqlab boʻlmadi: {reason}",
    "export_title": "{app} ilovasidagi maʼlumotlarim",
    "export_made": "Yaratilgan vaqt: {date}",
    "export_records": "Mening qarorlarim",
    "export_requests": "Mening soʻrovlarim",
    "export_none": "Yoʻq",
    "action.access_request": "Maʼlumot soʻraldi",
    "action.rectification_request": "Tuzatish soʻraldi",
    "action.blocking_request": "Bloklash soʻraldi",
    "action.link": "Ushbu qurilmada kirildi",
    "action.unlink": "Ushbu qurilmadan chiqildi",
    # The export of a linked install: which device made each decision.
    "device.this": "shu qurilma",
    "device.other": "boshqa qurilma ({id})",
    "export_devices_missing": (
        "Boshqa qurilmalardagi qarorlaringizni olib boʻlmadi ({reason}). "
        "Bu nusxada faqat shu qurilmadagi maʼlumotlar bor."),
    "export_devices_not_asked": (
        "Bu nusxada faqat shu qurilmadagi "
        "maʼlumotlar bor, boshqa qurilmalardagi qarorlaringiz yoʻq."),
    "export_devices_unverified": (
        "Imzosi tasdiqlanmagani uchun qoʻshilmagan "
        "boshqa qurilmalar yozuvlari: {count}"),
}

# Strings that depend on a number: key -> CLDR plural category -> text.
PLURALS: dict[str, dict[str, str]] = {
    "age_confirm": {"other": "Men {count} yoshdaman yoki kattaman"},
    "unit.year": {"other": "{count} yil"},
    "unit.month": {"other": "{count} oy"},
    "unit.week": {"other": "{count} hafta"},
    "unit.day": {"other": "{count} kun"},
}
