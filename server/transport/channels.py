"""Socket.IO room names. Only the server makes them; a client never names one."""


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def staff_channel(room_id: str) -> str:
    return f"room:{room_id}:staff"


def member_channel(room_id: str, member_id: str) -> str:
    return f"member:{room_id}:{member_id}"


def lobby_channel(room_id: str) -> str:
    return f"lobby:{room_id}"


def waiting_channel(room_id: str, waiting_id: str) -> str:
    return f"waiting:{room_id}:{waiting_id}"
