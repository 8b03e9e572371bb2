"""Placeholder: filled in by the API work."""

from fastapi import APIRouter

router = APIRouter()
