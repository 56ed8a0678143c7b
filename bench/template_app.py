"""A reference app written the way the official full-stack FastAPI template writes its endpoints.

The benchmark (bench.versus) serves it beside Sanggar, on the same database server, so that
Sanggar's reads and writes can be compared with what the common way of writing a FastAPI +
SQLModel endpoint costs on this machine:

- a SQLModel `Session` per request from a `yield` dependency, on an engine with the default
  pool;
- the bearer token is a JWT, decoded on every request, and its user is read from the
  database on every request (`session.get(User, sub)`, then the active check);
- one item: `session.get(Item, id)` and an owner check;
- a page: a `count()` and a `select(Item)…offset().limit()` of the user's items;
- a write: `Item.model_validate(…)`, `session.add`, `commit`, `refresh`.

Ids are UUIDs as in the template. The one liberty: `item.owner_id` is indexed, so a page of
a user's items costs what the code does, not a sequential scan. Its tables live in their own
metadata (never Sanggar's) and in their own database: `create_tables(url)` makes them.

Served by `uvicorn bench.template_app:app` with TEMPLATE_DATABASE_URL and
TEMPLATE_SECRET_KEY set; `mint_token` makes the tokens its users send.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jwt.exceptions import InvalidTokenError
from pydantic import ValidationError
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, col, create_engine, func, select

ALGORITHM = "HS256"
API_V1_STR = "/api/v1"


class TemplateModel(SQLModel, registry=registry()):
    """The base of this app's tables: their own metadata, apart from Sanggar's models."""


# --- models (users and their items, as the template has them) -------------------------------


class UserBase(TemplateModel):
    email: str = Field(unique=True, index=True, max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    full_name: str | None = Field(default=None, max_length=255)


class User(UserBase, table=True):
    __tablename__ = "tpl_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hashed_password: str
    created_at: datetime | None = Field(default_factory=lambda: datetime.now(UTC))


class ItemBase(TemplateModel):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)


class ItemCreate(ItemBase):
    pass


class Item(ItemBase, table=True):
    __tablename__ = "tpl_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime | None = Field(default_factory=lambda: datetime.now(UTC))
    owner_id: uuid.UUID = Field(foreign_key="tpl_user.id", nullable=False, index=True)


class ItemPublic(ItemBase):
    id: uuid.UUID
    owner_id: uuid.UUID
    created_at: datetime | None = None


class ItemsPublic(TemplateModel):
    data: list[ItemPublic]
    count: int


class TokenPayload(TemplateModel):
    sub: str | None = None


def create_tables(url: str) -> None:
    engine = create_engine(url)
    TemplateModel.metadata.create_all(engine)
    engine.dispose()


def mint_token(secret_key: str, user_id: uuid.UUID) -> str:
    """An access token as the template's log-in hands out (a day long here)."""
    expire = datetime.now(UTC) + timedelta(days=1)
    return jwt.encode({"exp": expire, "sub": str(user_id)}, secret_key, algorithm=ALGORITHM)


# --- dependencies (the template's deps.py) ---------------------------------------------------

engine = create_engine(os.environ.get("TEMPLATE_DATABASE_URL", "sqlite://"))
SECRET_KEY = os.environ.get("TEMPLATE_SECRET_KEY", "")
reusable_oauth2 = OAuth2PasswordBearer(tokenUrl=f"{API_V1_STR}/login/access-token")


def get_db() -> Generator[Session, None, None]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        token_data = TokenPayload(**payload)
    except (InvalidTokenError, ValidationError) as error:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Could not validate credentials"
        ) from error
    user = session.get(User, uuid.UUID(str(token_data.sub)))
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    if not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


# --- routes (the template's items.py) -------------------------------------------------------

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/", response_model=ItemsPublic)
def read_items(
    session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100
) -> Any:
    """The user's items, newest first (all items for a superuser), with their count."""
    if current_user.is_superuser:
        count = session.exec(select(func.count()).select_from(Item)).one()
        statement = select(Item).order_by(col(Item.created_at).desc()).offset(skip).limit(limit)
    else:
        count = session.exec(
            select(func.count()).select_from(Item).where(Item.owner_id == current_user.id)
        ).one()
        statement = (
            select(Item)
            .where(Item.owner_id == current_user.id)
            .order_by(col(Item.created_at).desc())
            .offset(skip)
            .limit(limit)
        )
    items = session.exec(statement).all()
    return ItemsPublic(data=[ItemPublic.model_validate(item) for item in items], count=count)


@router.get("/{id}", response_model=ItemPublic)
def read_item(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
    item = session.get(Item, id)
    if not item:
        raise HTTPException(status_code=404, detail="Item not found")
    if not current_user.is_superuser and (item.owner_id != current_user.id):
        raise HTTPException(status_code=400, detail="Not enough permissions")
    return item


@router.post("/", response_model=ItemPublic)
def create_item(*, session: SessionDep, current_user: CurrentUser, item_in: ItemCreate) -> Any:
    item = Item.model_validate(item_in, update={"owner_id": current_user.id})
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


app = FastAPI(title="template-style reference")
app.include_router(router, prefix=API_V1_STR)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
