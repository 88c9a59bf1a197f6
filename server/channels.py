"""Socket.IO room names. Only the server makes them; a client never names one."""


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def staff_channel(room_id: str) -> str:
    return f"room:{room_id}:staff"


def member_channel(room_id: str, member_id: str) -> str:
    return f"member:{room_id}:{member_id}"
