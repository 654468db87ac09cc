"""The self-report pages' words, Korean first: plain language on what happens, what is sent and who sees it."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "ko": {
        "title": "내 사진 신고하기",
        "lead": "사진과 영상은 이 기기 밖으로 나가지 않습니다.",
        "what_happens": "이 페이지는 고른 사진·영상을 이 휴대폰이나 컴퓨터 안에서만 열어 '해시'를 계산합니다. 해시는 "
                        "파일마다 다른 짧은 숫자 지문으로, 해시로는 사진을 다시 만들 수 없습니다.",
        "what_sent": "보내는 것: 해시(PDQ, MD5, SHA-256)와 사진의 선명도 점수뿐입니다. 이름, 전화번호, 이메일, 계정은 "
                     "묻지 않습니다.",
        "who_sees": "누가 보나요: 이 지원센터의 담당자, 그리고 업로드를 이 해시와 비교하는 협력 플랫폼입니다. "
                    "같은 사진이 올라오면 플랫폼은 자동으로 지우지 않고 사람이 검토하도록 표시합니다.",
        "after": "보내면 신고 번호와 PIN을 한 번만 보여 드립니다. 그 번호와 PIN으로 언제든 확인하고 모두 철회할 수 "
                 "있습니다.",
        "pick": "사진이나 영상 고르기", "previews": "고른 파일 (이 기기에서만, 흐리게 보입니다)",
        "consent": "이 사진·영상의 해시만 보내는 것에 동의합니다. 같은 사진이 발견되면 사람이 검토합니다.",
        "submit": "해시만 보내기", "status_link": "신고 확인·철회하기", "switch": "English", "switch_lang": "en",
        "noscript": "이 페이지는 기기 안에서 해시를 계산하려면 JavaScript가 필요합니다. 사진은 보내지 않습니다.",
        "hashing": "기기 안에서 해시 계산 중", "ready": "준비되었습니다", "sending": "해시를 보내는 중…",
        "need_files": "사진이나 영상을 하나 이상 고르세요.", "need_consent": "보내려면 동의란에 표시해 주세요.",
        "unreadable": "이 기기에서 열 수 없는 사진입니다: MD5와 SHA-256만 보냅니다.",
        "video": "영상: MD5와 SHA-256만 보냅니다.",
        "too_big": "파일이 너무 커서 건너뜁니다 (1 GB 초과).", "failed": "보내지 못했습니다",
        "done": "접수되었습니다. 아래 신고 번호와 PIN을 적어 두거나 사진으로 찍어 두세요. 다시 보여 드릴 수 없습니다.",
        "number": "신고 번호", "pin": "PIN", "check": "확인하기",
        "status_title": "신고 확인·철회", "status_lead": "신고 번호와 PIN을 넣으세요. 사진은 묻지 않습니다.",
        "active": "개 해시가 지금 검색에 쓰이고 있습니다", "withdrawn_count": "개 해시는 철회되었습니다",
        "matches": "번 협력 플랫폼의 검색에서 일치했습니다", "withdraw": "모두 철회하기",
        "withdraw_note": "철회하면 모든 곳에서 1초 안에 더 이상 일치하지 않습니다. 신고 기록은 철회된 상태로 남습니다.",
        "withdrawn_done": "모두 철회되었습니다. 더 이상 어떤 검색에서도 일치하지 않습니다.",
        "wrong": "신고 번호나 PIN이 맞지 않습니다.", "slow_down": "시도가 너무 많습니다. 잠시 후 다시 해 보세요.",
        "back": "새 신고하기",
    },
    "en": {
        "title": "Report your own pictures",
        "lead": "Your photos and videos never leave this device.",
        "what_happens": "This page opens the photos and videos you pick only inside this phone or computer and works "
                        "out their 'hashes': short number fingerprints, different for every file. A picture cannot "
                        "be rebuilt from its hash.",
        "what_sent": "What is sent: the hashes (PDQ, MD5, SHA-256) and a sharpness score for each photo, nothing else. "
                     "We do not ask for your name, phone number, e-mail or any account.",
        "who_sees": "Who sees it: the staff of this support centre, and partner platforms that compare uploads with "
                    "these hashes. When the same picture turns up, a platform marks it for a person to review; it "
                    "is not removed automatically.",
        "after": "After sending you get a case number and a PIN, shown once. With them you can check on your report "
                 "and withdraw everything at any time.",
        "pick": "Choose photos or videos", "previews": "Chosen files (shown only on this device, blurred)",
        "consent": "I agree to send only the hashes of these photos and videos. If the same picture is found, a "
                   "person reviews it.",
        "submit": "Send hashes only", "status_link": "Check or withdraw a report", "switch": "한국어",
        "switch_lang": "ko",
        "noscript": "This page needs JavaScript to work out the hashes on your device. No picture is sent.",
        "hashing": "Working out hashes on this device", "ready": "Ready", "sending": "Sending the hashes…",
        "need_files": "Choose at least one photo or video.", "need_consent": "Tick the consent box to send.",
        "unreadable": "This device cannot open this photo: only its MD5 and SHA-256 are sent.",
        "video": "Video: only its MD5 and SHA-256 are sent.", "too_big": "Too large, skipped (over 1 GB).",
        "failed": "Could not send",
        "done": "Received. Write down the case number and PIN below, or take a photo of them: they cannot be shown "
                "again.",
        "number": "Case number", "pin": "PIN", "check": "Check",
        "status_title": "Check or withdraw your report", "status_lead": "Enter your case number and PIN. No picture "
                                                                        "is needed.",
        "active": "hashes are being looked for now", "withdrawn_count": "hashes have been withdrawn",
        "matches": "partner lookups have matched them", "withdraw": "Withdraw everything",
        "withdraw_note": "Once withdrawn, the hashes stop matching everywhere within a second. The report stays on "
                         "record, marked withdrawn.",
        "withdrawn_done": "Everything is withdrawn. The hashes no longer match any lookup.",
        "wrong": "That case number or PIN is not right.", "slow_down": "Too many tries. Please wait a little and try "
                                                                        "again.",
        "back": "Make a new report",
    },
}

# Words page.js shows while it works (read from the page, so the script holds no text of its own).
SCRIPT_KEYS = ("hashing", "ready", "sending", "need_files", "need_consent", "unreadable", "video", "too_big",
               "failed", "done", "number", "pin", "back")


def language(lang: str | None) -> str:
    """Korean unless English is asked for."""
    return lang if lang in TEXT else "ko"
