"""Socket.IO room names (not Redis channels: see models/redis_names.py). Only the
server makes them; a client never names one."""


def room_name(room_id: str) -> str:
    return f"room:{room_id}"


def staff_name(room_id: str) -> str:
    return f"room:{room_id}:staff"


def member_name(room_id: str, member_id: str) -> str:
    return f"member:{room_id}:{member_id}"


def lobby_name(room_id: str) -> str:
    return f"lobby:{room_id}"


def waiting_name(room_id: str, waiting_id: str) -> str:
    return f"waiting:{room_id}:{waiting_id}"
