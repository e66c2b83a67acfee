import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Roles } from '../auth/auth.decorators.js';
import { ROLES } from '../core/access/caller.js';
import { UsersService } from './users.service.js';

export class CreateUserDto {
  @IsString() @MaxLength(64) username: string;
  @IsString() @MaxLength(200) password: string;
  @IsIn(ROLES) role: string;
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z0-9_]{1,64}$/, { message: 'agencyCode must be an agency code' })
  agencyCode?: string;
  /** Where e-mail notifications go (optional). */
  @IsOptional() @IsString() @MaxLength(254) email?: string;
}

export class UpdateUserDto {
  @IsBoolean() disabled: boolean;
}

@ApiTags('users')
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  create(@Body() body: CreateUserDto) {
    return this.users.create(body);
  }

  @Get()
  list() {
    return this.users.list();
  }

  /** Disable (or re-enable) an account. */
  @Patch(':username')
  update(@Param('username') username: string, @Body() body: UpdateUserDto) {
    return this.users.setDisabled(username, body.disabled);
  }
}
