"""The engine: builds each assignment of assignment/ and grades its submissions; it names none of them."""
