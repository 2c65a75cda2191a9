import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { ExecuteCommand } from '../application/cqrs';
import type { CommandResult } from '../application/command.service';
import type { CommandName } from '../domain/commands';
import { notFound } from '../domain/errors';
import { AuthGuard } from './auth';
import { isCommandName } from './dto/commands.dto';
import { validateCommandBody } from './dto/validate';
import { ValidationFailedError } from './problem';
import { MALFORMED_JSON } from './json-body';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

@Controller('v1/commands')
@UseGuards(AuthGuard)
export class CommandsController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':name')
  @HttpCode(200)
  run(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
  ): Promise<CommandResult> {
    if (!isCommandName(name)) throw notFound(`Unknown command "${name}" (see api.md for the command table)`);
    const malformed = (body as { [MALFORMED_JSON]?: string } | undefined)?.[MALFORMED_JSON];
    if (malformed !== undefined) throw new ValidationFailedError([{ field: 'body', message: malformed }]);
    const auth = req.auth;
    const errors: { field: string; message: string }[] = [];
    if (!auth?.actor)
      errors.push({ field: 'X-Actor', message: 'required for commands: user:<id>, sa:<id> or system' });
    const key = req.headers['idempotency-key'];
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      errors.push({
        field: 'Idempotency-Key',
        message: 'must be 1-200 printable ASCII characters without spaces',
      });
    }
    const correlation = req.headers['x-correlation-id'];
    if (
      correlation !== undefined &&
      (typeof correlation !== 'string' || !IDEMPOTENCY_KEY.test(correlation))
    ) {
      errors.push({
        field: 'X-Correlation-Id',
        message: 'must be 1-200 printable ASCII characters without spaces',
      });
    }
    const validated = validateCommandBody(name, body);
    if (!validated.ok) errors.push(...validated.errors);
    if (errors.length > 0 || !validated.ok || !auth?.actor) throw new ValidationFailedError(errors);
    return this.commandBus.execute(
      new ExecuteCommand({
        name: name as CommandName,
        body: validated.value as unknown as Record<string, unknown>,
        actor: auth.actor,
        client: auth.client.name,
        ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
        ...(typeof correlation === 'string' ? { correlationId: correlation } : {}),
      }),
    );
  }
}
